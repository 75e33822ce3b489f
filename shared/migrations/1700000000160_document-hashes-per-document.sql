-- Up Migration
-- Deduplication never crosses visibility: the same bytes uploaded by someone who cannot read
-- the document that holds them become a document of their own (own id, own data key, own raw
-- blob), so one content hash may now be claimed by several documents of a tenant. The claim
-- stays written in the upload's append transaction and released on deletion; concurrent
-- uploads of the same bytes are serialised by the document service (a transaction-level
-- advisory lock on tenant and hash), not by this key.
ALTER TABLE document_hashes DROP CONSTRAINT document_hashes_pkey;
ALTER TABLE document_hashes ADD PRIMARY KEY (tenant_id, content_sha256, document_id);
-- deletion releases a document's claim by its id
CREATE INDEX document_hashes_document ON document_hashes (tenant_id, document_id);

-- Down Migration
DROP INDEX IF EXISTS document_hashes_document;
-- one claim per hash again: the oldest document keeps it (later ones stay documents, unclaimed)
DELETE FROM document_hashes a USING document_hashes b
  WHERE a.tenant_id = b.tenant_id AND a.content_sha256 = b.content_sha256 AND a.document_id > b.document_id;
ALTER TABLE document_hashes DROP CONSTRAINT document_hashes_pkey;
ALTER TABLE document_hashes ADD PRIMARY KEY (tenant_id, content_sha256);
