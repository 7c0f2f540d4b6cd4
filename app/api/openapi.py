"""/api/v1/_openapi: FAB's OpenAPI document, built once per process for each version, address and language.

FAB builds it at every request from every API's docstrings and schemas (about 0.45 s of a worker's CPU for 70 KB),
which do not change while the process runs: the Swagger page (/swagger/v1) and every client generator ask for it.
Registered in FAB's place (FAB_ADD_OPENAPI_VIEWS off): the same class name, so the same routes and permission."""
from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.api.manager import OpenApi as FabOpenApi
from flask_babel import get_locale


class OpenApi(FabOpenApi):
    _kept: dict = {}
    _KEPT = 16  # documents kept (the Host header is the client's: a few addresses, not one per request)

    @expose("/<version>/_openapi")
    @protect()
    @safe
    def get(self, version):
        """The OpenAPI document of the APIs of a version.
        ---
        get:
          description: >-
            Get the OpenAPI spec for a specific API version
          parameters:
          - in: path
            schema:
              type: string
            name: version
          responses:
            200:
              description: The OpenAPI spec
              content:
                application/json:
                  schema:
                    type: object
            404:
              $ref: '#/components/responses/404'
            500:
              $ref: '#/components/responses/500'
        """
        # The document names the address it was asked at (its servers) and is written in the request's language.
        key = (version, request.host_url, str(get_locale()))
        document = self._kept.get(key)
        if document is None:
            document = self._document(version)
            if document is None:
                return self.response_404()
            if len(self._kept) >= self._KEPT:
                self._kept.clear()
            self._kept[key] = document
        return self.response(200, **document)

    def _document(self, version) -> dict | None:
        """FAB's OpenApi.get, the document itself (None: no API of that version)."""
        api_spec = self._create_api_spec(version)
        found = False
        for base_api in current_app.appbuilder.baseviews:
            if isinstance(base_api, BaseApi) and base_api.version == version:
                base_api.add_api_spec(api_spec)
                found = True
        return api_spec.to_dict() if found else None
