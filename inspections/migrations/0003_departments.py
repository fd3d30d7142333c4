"""The departments that usually join enforcement (联合执法), so a new installation can pick them at once.

Idempotent: a department an operator already created (or renamed back) is left as it is.
"""

from django.db import migrations

DEPARTMENTS = ["工商所", "行政执法局", "城管执法中队", "市政科", "公安派出所", "税源办", "督查室"]


def add_departments(apps, schema_editor):
    Department = apps.get_model("inspections", "Department")
    for name in DEPARTMENTS:
        Department.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("inspections", "0002_nightoperation_client_uuid")]

    # Going back leaves the departments: visits and bans may already refer to them.
    operations = [migrations.RunPython(add_departments, migrations.RunPython.noop)]
