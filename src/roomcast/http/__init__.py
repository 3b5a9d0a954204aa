"""HTTP: the aiohttp application, the REST resources and the OpenAPI/AsyncAPI documents."""
