"""REST API (FAB ModelRestApi), scoped exactly like the HTML views. OpenAPI at /api/v1/_openapi."""
