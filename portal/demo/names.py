"""Invented Korean names for demo staff, with the romanisation used in their e-mail addresses.

Surnames are the twenty most common, weighted roughly by their share of the population
(Statistics Korea, 2015 census). Given names are common two-syllable names; the pairs
are drawn at random, and combinations that belong to well-known people are skipped.
"""

from __future__ import annotations

import random

# (surname, romanisation, weight ≈ share of the population in 0.1 %)
SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("김", "kim", 215),
    ("이", "lee", 147),
    ("박", "park", 84),
    ("최", "choi", 47),
    ("정", "jung", 43),
    ("강", "kang", 23),
    ("조", "cho", 21),
    ("윤", "yoon", 21),
    ("장", "jang", 20),
    ("임", "lim", 16),
    ("한", "han", 15),
    ("오", "oh", 15),
    ("서", "seo", 15),
    ("신", "shin", 15),
    ("권", "kwon", 14),
    ("황", "hwang", 14),
    ("안", "ahn", 14),
    ("송", "song", 13),
    ("류", "ryu", 12),
    ("홍", "hong", 11),
)

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("민준", "minjun"),
    ("서준", "seojun"),
    ("도윤", "doyun"),
    ("예준", "yejun"),
    ("시우", "siwoo"),
    ("주원", "juwon"),
    ("하준", "hajun"),
    ("지호", "jiho"),
    ("준서", "junseo"),
    ("준우", "junwoo"),
    ("현우", "hyunwoo"),
    ("도현", "dohyun"),
    ("지훈", "jihoon"),
    ("건우", "gunwoo"),
    ("우진", "woojin"),
    ("선우", "sunwoo"),
    ("서진", "seojin"),
    ("민재", "minjae"),
    ("현준", "hyunjun"),
    ("연우", "yeonwoo"),
    ("정우", "jungwoo"),
    ("승우", "seungwoo"),
    ("승현", "seunghyun"),
    ("준혁", "junhyuk"),
    ("지환", "jihwan"),
    ("승민", "seungmin"),
    ("민성", "minsung"),
    ("준영", "junyoung"),
    ("진우", "jinwoo"),
    ("재윤", "jaeyoon"),
    ("동현", "donghyun"),
    ("성민", "sungmin"),
    ("상훈", "sanghoon"),
    ("성호", "sungho"),
    ("영수", "youngsoo"),
    ("영호", "youngho"),
    ("정훈", "junghoon"),
    ("성진", "sungjin"),
    ("종민", "jongmin"),
    ("재훈", "jaehoon"),
    ("태호", "taeho"),
    ("기현", "kihyun"),
    ("경민", "kyungmin"),
    ("용준", "yongjun"),
    ("형준", "hyungjun"),
    ("대현", "daehyun"),
    ("상우", "sangwoo"),
    ("재석", "jaeseok"),
    ("서연", "seoyeon"),
    ("서윤", "seoyoon"),
    ("하은", "haeun"),
    ("하윤", "hayoon"),
    ("민서", "minseo"),
    ("윤서", "yoonseo"),
    ("채원", "chaewon"),
    ("수아", "sua"),
    ("지아", "jia"),
    ("다은", "daeun"),
    ("은서", "eunseo"),
    ("예은", "yeeun"),
    ("수빈", "subin"),
    ("유진", "yujin"),
    ("예린", "yerin"),
    ("소연", "soyeon"),
    ("혜진", "hyejin"),
    ("지현", "jihyun"),
    ("수진", "sujin"),
    ("미영", "miyoung"),
    ("은정", "eunjung"),
    ("지영", "jiyoung"),
    ("현정", "hyunjung"),
    ("선영", "sunyoung"),
    ("미경", "mikyung"),
    ("정미", "jungmi"),
    ("경희", "kyunghee"),
    ("혜원", "hyewon"),
    ("보람", "boram"),
    ("나연", "nayeon"),
    ("다인", "dain"),
    ("소희", "sohee"),
    ("가은", "gaeun"),
    ("세영", "seyoung"),
    ("민지", "minji"),
    ("아름", "areum"),
    ("예지", "yeji"),
    ("수민", "sumin"),
    ("연주", "yeonju"),
    ("은비", "eunbi"),
    ("주희", "juhee"),
    ("혜림", "hyerim"),
    ("윤정", "yoonjung"),
    ("선희", "sunhee"),
)

# Combinations that name public figures (politicians, officials, athletes, entertainers).
WELL_KNOWN: frozenset[str] = frozenset(
    {
        "김수현",
        "김지원",
        "김민재",
        "김동현",
        "김태호",
        "김유진",
        "박서준",
        "박지훈",
        "박보람",
        "이서진",
        "이승우",
        "이현우",
        "이수민",
        "정지훈",
        "정은지",
        "한동훈",
        "한지민",
        "한예지",
        "강동현",
        "윤서진",
        "송승현",
        "홍진우",
    }
)


def person_name(rng: random.Random) -> tuple[str, str, str]:
    """An invented full name: (hangul name, romanised surname, romanised given name)."""
    surnames = [s[:2] for s in SURNAMES]
    weights = [s[2] for s in SURNAMES]
    while True:
        surname, sur_roman = rng.choices(surnames, weights=weights)[0]
        given, given_roman = rng.choice(GIVEN_NAMES)
        name = surname + given
        if name not in WELL_KNOWN:
            return name, sur_roman, given_roman
