from django.db import models


class Section(models.Model):
    """examples/catalogue's section table, which that example creates and fills."""

    slug = models.TextField(primary_key=True)
    name = models.TextField()
    position = models.BigIntegerField()
    countries = models.TextField()
    devices = models.TextField()
    min_version = models.TextField(null=True)
    min_version_key = models.BigIntegerField()

    class Meta:
        managed = False
        db_table = "section"
