"""Routes of certificates (수료증): the holder's download, a session's list and ZIP, the
managers' issue/reissue/revoke, and the public verification page.

Ids in these paths point at nothing (no certificate exists in the matrix's targets): an
allowed role gets 404 there, which the matrix accepts as "not refused by role"; the
ownership and access checks are in tests/functional/test_certificates.py.
"""

from portal.auth.access import AUTHENTICATED, PUBLIC
from portal.users.models import Role
from tests.access import COORDINATION, Expect

READERS = frozenset({Role.INSTRUCTOR, Role.COORDINATOR, Role.ADMIN})

ROUTES = {
    "certificates.download": Expect(AUTHENTICATED, "/my/certificates/2147480000.pdf"),
    "certificates.session_list": Expect(READERS, "/manage/sessions/{session_id}/certificates"),
    "certificates.session_zip": Expect(READERS, "/manage/sessions/{session_id}/certificates.zip"),
    "certificates.issue_missing": Expect(
        COORDINATION, "/manage/sessions/{session_id}/certificates/issue", "POST"
    ),
    "certificates.reissue": Expect(COORDINATION, "/manage/certificates/2147480000/reissue", "POST"),
    "certificates.revoke": Expect(COORDINATION, "/manage/certificates/2147480000/revoke", "POST"),
    "certificates.verify": Expect(PUBLIC, "/verify"),
    "certificates.verify_number": Expect(PUBLIC, "/verify/SJ-AI-2026-000001-0000"),
}
