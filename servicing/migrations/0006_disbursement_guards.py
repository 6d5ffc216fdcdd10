"""The disbursement's split guard: the instructions of a disbursement sum EXACTLY to its amount
financed, checked at commit (a deferred constraint trigger, so the disbursement and its
instructions can be inserted by separate statements of one transaction)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION servicing_disbursement_split_check() RETURNS trigger AS $$
DECLARE
    d_id bigint;
    financed numeric;
    total numeric;
BEGIN
    IF TG_TABLE_NAME = 'servicing_disbursement' THEN
        d_id := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        d_id := OLD.disbursement_id;
    ELSE
        d_id := NEW.disbursement_id;
    END IF;
    SELECT amount_financed INTO financed FROM servicing_disbursement WHERE id = d_id;
    IF financed IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT COALESCE(SUM(amount), 0) INTO total
      FROM servicing_paymentinstruction WHERE disbursement_id = d_id;
    IF total <> financed THEN
        RAISE EXCEPTION 'disbursement % split % does not equal amount financed %',
            d_id, total, financed
            USING ERRCODE = 'check_violation', CONSTRAINT = 'disbursement_split_sum';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER disbursement_split_sum_instructions
    AFTER INSERT OR UPDATE OF amount, disbursement_id OR DELETE ON servicing_paymentinstruction
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION servicing_disbursement_split_check();

CREATE CONSTRAINT TRIGGER disbursement_split_sum_disbursement
    AFTER INSERT OR UPDATE OF amount_financed ON servicing_disbursement
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION servicing_disbursement_split_check();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS disbursement_split_sum_disbursement ON servicing_disbursement;
DROP TRIGGER IF EXISTS disbursement_split_sum_instructions ON servicing_paymentinstruction;
DROP FUNCTION IF EXISTS servicing_disbursement_split_check();
"""


class Migration(migrations.Migration):
    dependencies = [("servicing", "0005_disbursement")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
