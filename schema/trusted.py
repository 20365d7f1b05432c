"""Trusted documents: the operations an app ships, named by their hash.

A manifest (``GATEWAY_TRUSTED_DOCUMENTS``) lists them, in either of the two
formats the tools write:

- graphql-codegen's client preset, ``persisted-documents.json``:
  ``{"<sha256>": "<document>", ...}``;
- Apollo's persisted query manifest:
  ``{"format": "apollo-persisted-query-manifest", "version": 1,
  "operations": [{"id": "<sha256>", "body": "<document>", ...}]}``.

Each hash is checked against its document when the manifest loads: one that
doesn't match, or a file that isn't such a manifest, stops start-up with the
file and the entry named. A request names a document by ``documentId``
(``sha256:<hash>`` or the bare hash) or by the persisted-query extension's
``sha256Hash`` (the HTTP edge resolves it). With
``GATEWAY_TRUSTED_DOCUMENTS_ONLY``, :class:`TrustedDocumentsOnly` refuses any
other text on every transport, before it is parsed or anything is called;
without it, free text runs as ever and the manifest only saves bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from strawberry.extensions import SchemaExtension

from gateway.errors import PersistedDocumentNotFound, PersistedDocumentRequired

__all__ = ["InvalidManifest", "TrustedDocuments", "TrustedDocumentsOnly"]

_APOLLO_FORMAT = "apollo-persisted-query-manifest"
_PREFIX = "sha256:"


class InvalidManifest(ValueError):
    """A manifest that can't be trusted: the message names the file and the entry."""


class TrustedDocuments:
    """The manifest's documents by hash, and the set of their texts."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self._by_hash = dict(documents)
        self._texts = frozenset(self._by_hash.values())

    def __len__(self) -> int:
        return len(self._by_hash)

    @classmethod
    def load(cls, path: Path) -> TrustedDocuments:
        try:
            raw = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise InvalidManifest(f"{path}: not a readable JSON manifest ({exc})") from None
        documents: dict[str, str] = {}
        for where, digest, text in _entries(path, raw):
            if not isinstance(digest, str) or not isinstance(text, str):
                raise InvalidManifest(f"{path}: {where}: the hash and document must be strings")
            digest = digest.removeprefix(_PREFIX)
            actual = hashlib.sha256(text.encode()).hexdigest()
            if digest != actual:
                raise InvalidManifest(
                    f"{path}: {where}: the hash {digest} is not the document's SHA-256 ({actual})"
                )
            documents[digest] = text
        return cls(documents)

    def text(self, document_id: str) -> str:
        """The document ``document_id`` names (``sha256:<hash>`` or the hash)."""
        text = self._by_hash.get(document_id.removeprefix(_PREFIX))
        if text is None:
            raise PersistedDocumentNotFound(f"No trusted document has the id {document_id[:80]!r}.")
        return text

    def known(self, digest: str) -> str | None:
        """The document of a persisted query's hash, if the manifest has it."""
        return self._by_hash.get(digest)

    def trusts(self, text: str) -> bool:
        return text in self._texts


def _entries(path: Path, raw: Any) -> Iterator[tuple[str, Any, Any]]:
    """(where, hash, document) of each entry, in either format."""
    if isinstance(raw, dict) and raw.get("format") == _APOLLO_FORMAT:
        operations = raw.get("operations")
        if not isinstance(operations, list):
            raise InvalidManifest(f"{path}: `operations` must be a list")
        for n, operation in enumerate(operations):
            if not isinstance(operation, dict):
                raise InvalidManifest(f"{path}: operations[{n}] must be an object")
            name = operation.get("name")
            yield f"operations[{n}] ({name})", operation.get("id"), operation.get("body")
    elif isinstance(raw, dict):
        for digest, text in raw.items():
            yield f"entry {digest!r}", digest, text
    else:
        raise InvalidManifest(
            f"{path}: neither {{hash: document}} nor an Apollo persisted query manifest"
        )


class TrustedDocumentsOnly(SchemaExtension):
    """Only the manifest's documents run, whatever the transport."""

    def __init__(self, trusted: TrustedDocuments) -> None:
        self._trusted = trusted

    def on_parse(self) -> Iterator[None]:
        text = self.execution_context.query
        if text is not None and not self._trusted.trusts(text):
            raise PersistedDocumentRequired(
                "This gateway runs only its apps' trusted documents: send a `documentId` "
                "from the manifest (GATEWAY_TRUSTED_DOCUMENTS_ONLY); free text is refused."
            )
        yield
