-- Up Migration
-- Chat: the relational views of conversations and their messages, kept by the chat service's
-- conversation-views projector. Titles and message texts are opened from the sealed events here
-- (null once the tenant's key is destroyed); the log keeps them only sealed.

CREATE TABLE conversations_view (
  tenant_id       uuid        NOT NULL,
  conversation_id uuid        NOT NULL,
  -- null: a global conversation (tenant-wide context)
  project_id      uuid,
  title           text,
  created_by      text        NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id)
);
CREATE INDEX conversations_view_project ON conversations_view (tenant_id, project_id, updated_at DESC);
CREATE INDEX conversations_view_creator ON conversations_view (tenant_id, created_by, updated_at DESC);

CREATE TABLE conversation_messages_view (
  tenant_id       uuid        NOT NULL,
  conversation_id uuid        NOT NULL,
  message_id      uuid        NOT NULL,
  -- the event's tenant_seq: orders the messages of a conversation
  position        bigint      NOT NULL,
  role            text        NOT NULL CHECK (role IN ('user', 'assistant')),
  content         text,
  -- assistant messages: the question answered, the retrieval scope and what was cited
  reply_to        uuid,
  scope           text        CHECK (scope IN ('project', 'global')),
  citations       jsonb       NOT NULL DEFAULT '[]',
  generator       text,
  actor           text        NOT NULL,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, conversation_id, message_id)
);
CREATE INDEX conversation_messages_view_order ON conversation_messages_view (tenant_id, conversation_id, position);

SELECT mandant_isolate_tenant_table('conversations_view', 'SELECT, INSERT, UPDATE, DELETE');
SELECT mandant_isolate_tenant_table('conversation_messages_view', 'SELECT, INSERT, UPDATE, DELETE');

-- Down Migration
DROP TABLE IF EXISTS conversation_messages_view;
DROP TABLE IF EXISTS conversations_view;
