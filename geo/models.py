from django.db import models
from django.utils.translation import gettext_lazy as _


class GeocodeResult(models.Model):
    """A network geocoder's answer, kept so the same address is not looked up twice.

    The query itself is never stored: ``query_digest`` is a keyed hash (HMAC with the
    deployment's secret) of the normalised query, so the table cannot be read back into the
    addresses people searched for. Rows older than ``HAVEN_GEOCODER_CACHE_DAYS`` are ignored
    and swept.
    """

    query_digest = models.CharField(max_length=64, unique=True)
    found = models.BooleanField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("geocoder result")
        constraints = [
            models.CheckConstraint(
                name="geocode_found_has_coordinates",
                condition=models.Q(found=False)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.query_digest[:12]
