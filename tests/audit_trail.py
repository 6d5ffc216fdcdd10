"""An object's audit trail, oldest first: what the tests read to see that a change was audited
(the application shows the trail only in the admin, so production code has no such query)."""

from django.contrib.contenttypes.models import ContentType

from autofin.models import AuditEntry


def audit_trail_for(obj):
    ct = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(obj.pk)).order_by(
        "created_at", "id"
    )
