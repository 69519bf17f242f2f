"""Service certificates (志愿服务证明): issued and revoked by organizers, verified by anyone holding the number."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth import actor, public, require_readable
from api.certificate_pdf import render
from api.certificate_schemas import CertificateSchema, IssueCertificateArgs, RevokeCertificateArgs
from api.schemas import MinPositionArgs
from api.services import services
from timebank.domain.certificate import ServiceCertificate

blp = Blueprint("certificates", __name__, url_prefix="/api/certificates", description="Service certificates (志愿服务证明).")


def present(certificate: ServiceCertificate) -> dict[str, Any]:
    """What the certificate shows, and no more."""
    return {
        "number": certificate.number, "genuine": True, "status": certificate.status,
        "revocation_reason": certificate.revocation_reason, "revoked_at": certificate.revoked_at,
        "holder": services().timebank.certificate_holder(certificate), "volunteer_number": certificate.volunteer_number,
        "organization_name": certificate.organization_name, "person_in_charge": certificate.person_in_charge,
        "total_service_minutes": certificate.total_service_minutes, "content": certificate.content,
        "first_service_date": certificate.first_service_date, "last_service_date": certificate.last_service_date,
        "issue_date": certificate.issue_date,
    }


@blp.route("")
class CertificateIssue(MethodView):
    @blp.arguments(IssueCertificateArgs)
    @blp.response(201, CertificateSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Issue a certificate of a volunteer's confirmed service (the recording organization's organizers)"""
        app = services().timebank
        number = app.issue_certificate(actor(), **args)
        return present(app.certificate(number))


@blp.route("/<string:number>/verification")
class CertificateVerification(MethodView):
    @public
    @blp.arguments(MinPositionArgs, location="query")
    @blp.response(200, CertificateSchema)
    def get(self, args: dict[str, Any], number: str) -> dict[str, Any]:
        """Verify a certificate by its number (public): genuine, current or revoked, and what it certifies"""
        return present(services().timebank.certificate(number))


@blp.route("/<string:number>/revoke")
class CertificateRevocation(MethodView):
    @blp.arguments(RevokeCertificateArgs)
    @blp.response(200, CertificateSchema)
    def post(self, args: dict[str, Any], number: str) -> dict[str, Any]:
        """Revoke a certificate with a reason (the issuing organization's organizers)"""
        app = services().timebank
        app.revoke_certificate(actor(), number, args["reason"])
        return present(app.certificate(number))


@blp.route("/<string:number>.pdf")
class CertificatePdf(MethodView):
    @blp.arguments(MinPositionArgs, location="query")
    @blp.alt_response(200, success=True, description="The certificate as a printable A4 PDF.", content_type="application/pdf")
    def get(self, args: dict[str, Any], number: str) -> Response:
        """Print a certificate as PDF (its volunteer, the issuing organization's organizers, auditors, admins)"""
        certificate = services().timebank.certificate(number)
        require_readable("certificate.read", "certificate", certificate.id, "number",
                         about=certificate.volunteer_id, organization_id=certificate.organization_id)
        return Response(render(present(certificate)), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{number}.pdf"'})
