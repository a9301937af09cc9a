"""What the guard says: the label, the plain-Korean explanation and the mask token of each kind."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Tokens put into masked text. Deliberately plain Korean, not translated: masked text is data
# (sent to the model, stored in guard events) and must not depend on the reader's language.
TOKENS = {
    "rrn": "[주민등록번호]",
    "arn": "[외국인등록번호]",
    "passport": "[여권번호]",
    "driver_licence": "[운전면허번호]",
    "mobile": "[휴대전화번호]",
    "phone": "[전화번호]",
    "email": "[이메일 주소]",
    "brn": "[사업자등록번호]",
    "bank_account": "[계좌번호]",
    "card": "[카드번호]",
}


LABELS = {
    "rrn": _l("주민등록번호"),
    "arn": _l("외국인등록번호"),
    "passport": _l("여권번호"),
    "driver_licence": _l("운전면허번호"),
    "mobile": _l("휴대전화번호"),
    "phone": _l("전화번호"),
    "email": _l("이메일 주소"),
    "brn": _l("사업자등록번호"),
    "bank_account": _l("계좌번호"),
    "card": _l("카드번호"),
    "marker": _l("보안 등급 표시"),
}


EXPLANATIONS = {
    "rrn": _l(
        "주민등록번호는 한 사람을 평생 식별하는 고유식별정보입니다. "
        "외부 AI 모델에 보내면 회수할 수 없으므로 반드시 가려야 합니다."
    ),
    "rrn_unchecked": _l(
        "주민등록번호 형식입니다. 검증번호가 맞지 않지만 2020년 10월 이후 발급된 번호는 "
        "끝자리가 임의의 숫자이므로 실제 번호일 수 있어, 외부 AI 모델에 보내기 전에 가려야 합니다."
    ),
    "arn": _l(
        "외국인등록번호는 국내 체류 외국인을 식별하는 고유식별정보입니다. "
        "외부 AI 모델에 보내면 회수할 수 없으므로 반드시 가려야 합니다."
    ),
    "arn_unchecked": _l(
        "외국인등록번호 형식입니다. 검증번호가 맞지 않지만 2020년 10월 이후 발급된 번호는 "
        "끝자리가 임의의 숫자이므로 실제 번호일 수 있어, 외부 AI 모델에 보내기 전에 가려야 합니다."
    ),
    "passport": _l(
        "여권번호는 법으로 보호되는 고유식별정보입니다. 외부 AI 모델에 보내지 말고 가려야 합니다."
    ),
    "driver_licence": _l(
        "운전면허번호는 법으로 보호되는 고유식별정보입니다. "
        "외부 AI 모델에 보내지 말고 가려야 합니다."
    ),
    "phone": _l(
        "전화번호는 특정 개인에게 연락할 수 있는 개인정보입니다. "
        "문서 작성에 필요하지 않으므로 가린 뒤 보내세요."
    ),
    "email": _l(
        "이메일 주소는 특정 개인을 알아볼 수 있는 개인정보입니다. "
        "문서 작성에 필요하지 않으므로 가린 뒤 보내세요."
    ),
    "brn": _l(
        "사업자등록번호는 개인사업자의 경우 개인을 식별할 수 있는 정보입니다. "
        "외부 AI 모델에 보내기 전에 가려야 합니다."
    ),
    "bank_account": _l(
        "계좌번호는 금융 피해로 이어질 수 있는 개인 금융정보입니다. "
        "외부 AI 모델에 보내지 말고 가려야 합니다."
    ),
    "card": _l(
        "카드번호는 부정 사용으로 이어질 수 있는 금융정보입니다. "
        "외부 AI 모델에 보내지 말고 가려야 합니다."
    ),
    "marker_secret": _l(
        "대외비·기밀 표시가 있는 문서입니다. "
        "이런 자료는 외부 AI 모델에 입력할 수 없으니 내용을 넣지 마세요."
    ),
    "marker_sensitive": _l(
        "비공개·내부용 등 공개가 제한된 자료라는 표시입니다. "
        "외부 AI 모델에 넣어도 되는 내용인지, 데이터 등급이 맞는지 먼저 확인하세요."
    ),
}
