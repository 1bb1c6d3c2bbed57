"""schemathesis CLI hooks (SCHEMATHESIS_HOOKS): tus PATCH bodies are plain bytes."""

import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
