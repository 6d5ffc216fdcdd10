"""Month-end close (月末结账): closing an accounting period once its checklist passes
(`close.period_close`, maker-checked through `approval`), and posting a correction to a closed
period in the next open one (`adjustment.period_adjustment_post`)."""
