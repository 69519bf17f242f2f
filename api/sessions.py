"""Logging in (登录): passwords, one-time codes, access and refresh tokens, logging out."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.auth import actor, public
from api.schemas import Text, d
from api.services import services
from timebank.application.security import MAX_PASSWORD_LENGTH
from timebank.domain.errors import InvalidInput

log = logging.getLogger(__name__)
blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Log in: passwords, one-time codes, tokens, sessions.")


class LoginArgs(Schema):
    login = Text("Volunteer number (志愿者编号, e.g. BJ0123456789) or the phone registered.", max_len=32)
    password = fields.Str(validate=validate.Length(min=1, max=MAX_PASSWORD_LENGTH), metadata=d("The password; or send `code`."))
    code = fields.Str(validate=validate.Regexp(r"^\d{6}$"), metadata=d("A one-time code from POST /api/auth/code; or send `password`."))

    @validates_schema
    def _one_secret(self, data: dict[str, Any], **_: Any) -> None:
        if ("password" in data) == ("code" in data):
            raise ValidationError("send either password or code", "password")


class CodeArgs(Schema):
    login = Text("Volunteer number or the phone registered.", max_len=32)


class RefreshArgs(Schema):
    refresh_token = Text("The refresh token of the last login or refresh.", max_len=200)


class PasswordArgs(Schema):
    password = Text("The new password: 8 to 128 characters, not only digits.", max_len=MAX_PASSWORD_LENGTH)
    current_password = fields.Str(validate=validate.Length(max=MAX_PASSWORD_LENGTH), metadata=d("The current password, when one is set."))


class RevokeTokenArgs(Schema):
    token = Text("An access token (opaque `tb_...`) to revoke.", max_len=200)


class TokensSchema(Schema):
    volunteer_id = fields.UUID(metadata=d("Who logged in."))
    session_id = fields.UUID(metadata=d("The login session; revoke it to log out everywhere it is used."))
    access_token = fields.Str(metadata=d("Bearer token (JWT) for the API; short-lived."))
    token_type = fields.Str(metadata=d("Always Bearer."))
    expires_in = fields.Int(metadata=d("Seconds until the access token expires."))
    refresh_token = fields.Str(metadata=d("Spend it at POST /api/auth/refresh for a new pair; usable once."))


class CodeSentSchema(Schema):
    message = fields.Str(metadata=d("The same whether or not the login is known."))
    expires_in = fields.Int(metadata=d("Seconds a code stays valid."))


def _tokens(result: Any) -> dict[str, Any]:
    return {
        "volunteer_id": result.volunteer_id, "session_id": result.session_id, "access_token": result.access_token,
        "token_type": "Bearer", "expires_in": result.expires_in, "refresh_token": result.refresh_token,
    }


@blp.route("/login")
class Login(MethodView):
    @public
    @blp.arguments(LoginArgs)
    @blp.response(200, TokensSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Log in with a password or a one-time code

        Returns a short-lived access token and a refresh token. Five failures in 15 minutes lock the
        login for 15 minutes (429 with Retry-After). Wrong login and wrong password get the same answer.
        """
        return _tokens(services().timebank.login(args["login"], password=args.get("password"), code=args.get("code")))


@blp.route("/code")
class LoginCode(MethodView):
    @public
    @blp.arguments(CodeArgs)
    @blp.response(202, CodeSentSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Send a one-time login code to the volunteer's phone

        Answers 202 whether or not the login is known, so logins cannot be probed.
        """
        found = services()
        code = found.timebank.request_login_code(args["login"])
        if code is not None:
            found.send_code(code.phone, code.code)
        return {"message": "if this login is known, a code was sent to its phone", "expires_in": 300}


@blp.route("/refresh")
class Refresh(MethodView):
    @public
    @blp.arguments(RefreshArgs)
    @blp.response(200, TokensSchema)
    def post(self, args: dict[str, Any]) -> dict[str, Any]:
        """Exchange a refresh token for a new access token and refresh token

        A refresh token works once. Presenting a spent one revokes the whole session (it was copied).
        """
        return _tokens(services().timebank.refresh(args["refresh_token"]))


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self) -> None:
        """End the session of the access token sent (a login's JWT)"""
        who = actor()
        token = request.headers.get("Authorization", "").partition(" ")[2].strip()
        session_id = services().timebank.session_of(token)
        if session_id is None:
            raise InvalidInput("this is not a login session's token; revoke opaque tokens at /api/auth/tokens/revoke", field="Authorization")
        services().timebank.revoke_session(who, session_id)


@blp.route("/sessions/<uuid:session_id>/revoke")
class RevokeSession(MethodView):
    @blp.response(204)
    def post(self, session_id: UUID) -> None:
        """Revoke a login session: its volunteer or an admin

        Its access tokens stop working at once and its refresh token is refused.
        """
        services().timebank.revoke_session(actor(), session_id, reason="revoked")


@blp.route("/tokens/revoke")
class RevokeToken(MethodView):
    @blp.arguments(RevokeTokenArgs)
    @blp.response(204)
    def post(self, args: dict[str, Any]) -> None:
        """Revoke an opaque access token: whoever holds it may (admin, auditor, registration tokens)"""
        services().timebank.revoke_token(args["token"], actor())


@blp.route("/password")
class Password(MethodView):
    @blp.arguments(PasswordArgs)
    @blp.response(204)
    def post(self, args: dict[str, Any]) -> None:
        """Set or change one's password (volunteers); changing needs the current one"""
        services().timebank.set_password(actor(), args["password"], args.get("current_password"))
