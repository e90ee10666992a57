"""A loopback stand-in for the ChatGPT issuer (``auth.openai.com``): its device-code endpoints."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.signature"


class MockAuthServer:
    """The device-code endpoints of the ChatGPT issuer; the first token poll is 'pending'."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        token = _jwt(
            {
                "email": "dev@example.com",
                "https://api.openai.com/auth": {
                    "chatgpt_plan_type": "plus",
                    "chatgpt_account_id": "acct-test",
                    "chatgpt_user_id": "user-test",
                },
            }
        )
        routes = {
            "/api/accounts/deviceauth/usercode": {"device_auth_id": "dev-1", "user_code": "CODE-1234", "interval": "0"},
            "/api/accounts/deviceauth/token": {
                "authorization_code": "auth-code",
                "code_challenge": "challenge",
                "code_verifier": "verifier",
            },
            "/oauth/token": {"id_token": token, "access_token": token, "refresh_token": "refresh-test"},
        }
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                paths.append(self.path)
                body = routes.get(self.path)
                pending = self.path.endswith("/deviceauth/token") and paths.count(self.path) == 1
                status = 404 if body is None else 403 if pending else 200
                data = json.dumps(body if status == 200 else {}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self.issuer = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
