"""One GraphQL endpoint over the sports video-analysis session REST APIs."""

from gateway.schema_guard import check_schema_package

check_schema_package()
