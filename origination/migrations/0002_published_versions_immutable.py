"""Published product versions are immutable: the database refuses to change or delete them or
their rate-table rows, whatever code path tries (admin, shell, a bug). Also creates the single
RegulatoryLimits row with the regulatory defaults."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION origination_version_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'product version % is published and cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER origination_productversion_immutable
    BEFORE UPDATE OR DELETE ON origination_productversion
    FOR EACH ROW EXECUTE FUNCTION origination_version_immutable();

CREATE OR REPLACE FUNCTION origination_rate_entry_immutable() RETURNS trigger AS $$
DECLARE
    version_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        version_ids := ARRAY[NEW.version_id];
    ELSIF TG_OP = 'DELETE' THEN
        version_ids := ARRAY[OLD.version_id];
    ELSE
        version_ids := ARRAY[OLD.version_id, NEW.version_id];
    END IF;
    IF EXISTS (
        SELECT 1 FROM origination_productversion
        WHERE id = ANY(version_ids) AND status = 'published'
    ) THEN
        RAISE EXCEPTION 'the rate table of a published product version cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER origination_ratetableentry_immutable
    BEFORE INSERT OR UPDATE OR DELETE ON origination_ratetableentry
    FOR EACH ROW EXECUTE FUNCTION origination_rate_entry_immutable();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS origination_ratetableentry_immutable ON origination_ratetableentry;
DROP FUNCTION IF EXISTS origination_rate_entry_immutable();
DROP TRIGGER IF EXISTS origination_productversion_immutable ON origination_productversion;
DROP FUNCTION IF EXISTS origination_version_immutable();
"""


def limits_create(apps, schema_editor):
    RegulatoryLimits = apps.get_model("origination", "RegulatoryLimits")
    RegulatoryLimits.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("origination", "0001_initial")]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunPython(limits_create, migrations.RunPython.noop),
    ]
