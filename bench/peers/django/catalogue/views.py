from django.db.models import Q
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Section

COUNTRIES = {"ZA", "NG", "KE", "GH", "EG", "MA", "TZ", "UG", "GB", "NL", "PL", "US"}
DEVICES = {"android", "ios", "web", "tv"}


def version_key(text):
    """1 to 4 dot-separated parts of up to 4 digits as one ordered integer, or None."""
    parts = text.split(".")
    if len(parts) > 4 or any(not p.isascii() or not p.isdigit() or len(p) > 4 for p in parts):
        return None
    key = 0
    for i in range(4):
        key = key * 10000 + (int(parts[i]) if i < len(parts) else 0)
    return key


def invalid(param, why):
    return Response(
        {"title": "Invalid parameter", "description": f'The "{param}" parameter is invalid. {why}'}, status=400
    )


class SectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Section
        fields = ["name", "slug"]


class Sections(APIView):
    def get(self, request):
        params = request.query_params
        headers = {"Cache-Control": "public, max-age=60"}
        country = params.get("country", "").upper()
        if not country:
            headers["Vary"] = "X-Country"
            edge = request.headers.get("X-Country", "").strip().upper()
            country = edge if edge in COUNTRIES else ""
        elif country not in COUNTRIES:
            return invalid("country", "Allowed values: " + ", ".join(sorted(COUNTRIES)))
        device = params.get("device", "").lower()
        if device and device not in DEVICES:
            return invalid("device", "Allowed values: " + ", ".join(sorted(DEVICES)))
        key = 0
        if params.get("app_version"):
            key = version_key(params["app_version"])
            if key is None:
                return invalid("app_version", "Such as 5.2 or 5.10.1.")
        limit = 20
        if params.get("limit"):
            try:
                limit = int(params["limit"])
            except ValueError:
                limit = 0
            if not 1 <= limit <= 100:
                return invalid("limit", "1 to 100.")
        sections = Section.objects.filter(min_version_key__lte=key)
        sections = sections.filter(Q(countries="") | Q(countries__contains=f",{country},") if country else Q(countries=""))
        sections = sections.filter(Q(devices="") | Q(devices__contains=f",{device},") if device else Q(devices=""))
        if params.get("marker"):
            marker = Section.objects.filter(slug=params["marker"]).values_list("position", flat=True).first()
            if marker is None:
                return invalid("marker", "It names no section.")
            sections = sections.filter(position__gt=marker)
        visible = list(sections.order_by("position"))
        page = SectionSerializer(visible[:limit], many=True).data
        body = {"count": len(page), "items": page, "remaining": max(0, len(visible) - limit)}
        return Response(body, headers=headers)
