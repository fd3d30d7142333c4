from django.dispatch import Signal

# Sent inside inspection_record's transaction after a new visit is written, with `actor` and
# `inspection`. The cases app listens (re-checks, rebounds, cases from findings) without this app
# depending on it.
visit_recorded = Signal()

# Sent inside inspection_void's transaction, with `actor` and `inspection`: the cases app undoes what the
# visit did (a re-check it completed, a reopening it caused).
visit_voided = Signal()
