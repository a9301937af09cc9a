"""Routes of notifications: the admin outbox and each person's in-app notifications.

The outbox paths use a literal message id: the role check answers before the lookup,
so others get 403 whether or not message 1 exists, and an admin gets a page or a 404.
"""

from portal.auth.access import AUTHENTICATED
from tests.access import ADMIN, Expect

ROUTES = {
    "notifications.outbox": Expect(ADMIN, "/admin/outbox/"),
    "notifications.outbox_message": Expect(ADMIN, "/admin/outbox/1"),
    "notifications.retry": Expect(ADMIN, "/admin/outbox/1/retry", "POST"),
    "notifications.inbox": Expect(AUTHENTICATED, "/notifications/"),
    # The notification belongs to {user_id}: everyone else gets 404, never 403.
    "notifications.mark_read": Expect(
        AUTHENTICATED, "/notifications/{notification_id}/read", "POST"
    ),
    "notifications.mark_all_read": Expect(AUTHENTICATED, "/notifications/read-all", "POST"),
}
