-- revision: 0012_partner_totals
-- ;
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)
-- ;
CREATE TABLE feeds (
	id INTEGER NOT NULL, 
	url VARCHAR(2048) NOT NULL, 
	title VARCHAR(500), 
	etag VARCHAR(500), 
	last_modified VARCHAR(100), 
	last_success DATETIME, 
	last_error TEXT, 
	last_error_at DATETIME, 
	consecutive_failures INTEGER NOT NULL, 
	next_poll DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (url)
)
-- ;
CREATE INDEX ix_feeds_next_poll ON feeds (next_poll)
-- ;
CREATE TABLE slack_events (
	event_id VARCHAR(64) NOT NULL, 
	received_at DATETIME NOT NULL, 
	PRIMARY KEY (event_id)
)
-- ;
CREATE INDEX ix_slack_events_received_at ON slack_events (received_at)
-- ;
CREATE TABLE story_clusters (
	id INTEGER NOT NULL, 
	first_seen DATETIME NOT NULL, 
	signature VARCHAR(64), 
	PRIMARY KEY (id)
)
-- ;
CREATE INDEX ix_story_clusters_signature ON story_clusters (signature)
-- ;
CREATE TABLE subscriptions (
	id INTEGER NOT NULL, 
	team_id VARCHAR(32) NOT NULL, 
	channel_id VARCHAR(32) NOT NULL, 
	cron VARCHAR(200) NOT NULL, 
	timezone VARCHAR(64) NOT NULL, 
	filters JSON, 
	post_when_empty BOOLEAN NOT NULL, 
	cursor_article_id BIGINT NOT NULL, 
	created_by VARCHAR(32), 
	created_at DATETIME NOT NULL, schedule_text VARCHAR(200), last_error TEXT, paused_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_subscription_channel UNIQUE (team_id, channel_id)
)
-- ;
CREATE TABLE articles (
	id INTEGER NOT NULL, 
	canonical_url VARCHAR(2048) NOT NULL, 
	url VARCHAR(2048) NOT NULL, 
	feed_id INTEGER, 
	entry_id VARCHAR(1024), 
	source VARCHAR(500), 
	title VARCHAR(1000), 
	published DATE, 
	text TEXT NOT NULL, 
	content_hash VARCHAR(64) NOT NULL, 
	language VARCHAR(16), 
	cluster_id INTEGER, 
	minhash JSON, 
	summary TEXT, 
	fetched_at DATETIME NOT NULL, pruned_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(cluster_id) REFERENCES story_clusters (id), 
	FOREIGN KEY(feed_id) REFERENCES feeds (id) ON DELETE SET NULL, 
	UNIQUE (canonical_url), 
	CONSTRAINT uq_article_feed_entry UNIQUE (feed_id, entry_id)
)
-- ;
CREATE INDEX ix_articles_cluster_id ON articles (cluster_id)
-- ;
CREATE INDEX ix_articles_cluster_published ON articles (cluster_id, published)
-- ;
CREATE INDEX ix_articles_content_hash ON articles (content_hash)
-- ;
CREATE INDEX ix_articles_fetched_at ON articles (fetched_at)
-- ;
CREATE INDEX ix_articles_published ON articles (published)
-- ;
CREATE TABLE analyses (
	id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	engine_version VARCHAR(32) NOT NULL, 
	brief JSON NOT NULL, 
	relevance_label VARCHAR(32) NOT NULL, 
	relevance_score FLOAT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE, 
	UNIQUE (article_id)
)
-- ;
CREATE INDEX ix_analyses_engine_version ON analyses (engine_version)
-- ;
CREATE INDEX ix_analyses_relevance_label ON analyses (relevance_label)
-- ;
CREATE TABLE partner_mentions (
	id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	entity VARCHAR(300) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	country VARCHAR(2), 
	role VARCHAR(200) NOT NULL, 
	tier VARCHAR(16), 
	mentioned_on DATE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE, 
	CONSTRAINT uq_partner_article_entity UNIQUE (article_id, entity, kind)
)
-- ;
CREATE INDEX ix_partner_mentions_article_id ON partner_mentions (article_id)
-- ;
CREATE INDEX ix_partner_mentions_country ON partner_mentions (country)
-- ;
CREATE INDEX ix_partner_mentions_entity ON partner_mentions (entity)
-- ;
CREATE INDEX ix_partner_mentions_mentioned_on ON partner_mentions (mentioned_on)
-- ;
CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', tokenize='porter unicode61')
-- ;
CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END
-- ;
CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END
-- ;
CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END
-- ;
CREATE TABLE digest_ledger (
	id INTEGER NOT NULL, 
	subscription_id INTEGER NOT NULL, 
	slot_key VARCHAR(32) NOT NULL, 
	slot_at DATETIME NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	catching_up BOOLEAN NOT NULL, 
	channel_id VARCHAR(32) NOT NULL, 
	message_ts VARCHAR(32), 
	cursor_to BIGINT, 
	claimed_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	note TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(subscription_id) REFERENCES subscriptions (id) ON DELETE CASCADE, 
	UNIQUE (run_id), 
	CONSTRAINT uq_digest_slot UNIQUE (subscription_id, slot_key)
)
-- ;
CREATE INDEX ix_digest_ledger_state ON digest_ledger (state)
-- ;
CREATE TABLE slack_installations (
	id INTEGER NOT NULL, 
	client_id VARCHAR(32) NOT NULL, 
	app_id VARCHAR(32) NOT NULL, 
	enterprise_id VARCHAR(32), 
	enterprise_name VARCHAR(200), 
	enterprise_url VARCHAR(200), 
	team_id VARCHAR(32), 
	team_name VARCHAR(200), 
	bot_token VARCHAR(200), 
	bot_id VARCHAR(32), 
	bot_user_id VARCHAR(32), 
	bot_scopes VARCHAR(1000), 
	bot_refresh_token VARCHAR(200), 
	bot_token_expires_at DATETIME, 
	user_id VARCHAR(32) NOT NULL, 
	user_token VARCHAR(200), 
	user_scopes VARCHAR(1000), 
	user_refresh_token VARCHAR(200), 
	user_token_expires_at DATETIME, 
	incoming_webhook_url VARCHAR(200), 
	incoming_webhook_channel VARCHAR(200), 
	incoming_webhook_channel_id VARCHAR(200), 
	incoming_webhook_configuration_url VARCHAR(200), 
	is_enterprise_install BOOLEAN DEFAULT 0 NOT NULL, 
	token_type VARCHAR(32), 
	installed_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id)
)
-- ;
CREATE INDEX slack_installations_idx ON slack_installations (client_id, enterprise_id, team_id, user_id, installed_at)
-- ;
CREATE TABLE slack_bots (
	id INTEGER NOT NULL, 
	client_id VARCHAR(32) NOT NULL, 
	app_id VARCHAR(32) NOT NULL, 
	enterprise_id VARCHAR(32), 
	enterprise_name VARCHAR(200), 
	team_id VARCHAR(32), 
	team_name VARCHAR(200), 
	bot_token VARCHAR(200), 
	bot_id VARCHAR(32), 
	bot_user_id VARCHAR(32), 
	bot_scopes VARCHAR(1000), 
	bot_refresh_token VARCHAR(200), 
	bot_token_expires_at DATETIME, 
	is_enterprise_install BOOLEAN DEFAULT 0 NOT NULL, 
	installed_at DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL, 
	PRIMARY KEY (id)
)
-- ;
CREATE INDEX slack_bots_idx ON slack_bots (client_id, enterprise_id, team_id, installed_at)
-- ;
CREATE TABLE slack_oauth_states (
	id INTEGER NOT NULL, 
	state VARCHAR(200) NOT NULL, 
	expire_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
)
-- ;
CREATE UNIQUE INDEX slack_oauth_states_state ON slack_oauth_states (state)
-- ;
CREATE TABLE watches (
	id INTEGER NOT NULL, 
	team_id VARCHAR(32) NOT NULL, 
	channel_id VARCHAR(32), 
	user_id VARCHAR(32), 
	terms JSON NOT NULL, 
	label VARCHAR(500) NOT NULL, 
	paused_at DATETIME, 
	cursor_article_id BIGINT NOT NULL, 
	last_alert_at DATETIME, 
	created_by VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id)
)
-- ;
CREATE INDEX ix_watches_team_id ON watches (team_id)
-- ;
CREATE TABLE watch_alerts (
	id INTEGER NOT NULL, 
	watch_id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	run_id VARCHAR(64) NOT NULL, 
	target VARCHAR(32) NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	message_ts VARCHAR(32), 
	claimed_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	note TEXT, 
	PRIMARY KEY (id), 
	FOREIGN KEY(watch_id) REFERENCES watches (id) ON DELETE CASCADE, 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE, 
	CONSTRAINT uq_watch_article UNIQUE (watch_id, article_id)
)
-- ;
CREATE INDEX ix_watch_alerts_run_id ON watch_alerts (run_id)
-- ;
CREATE INDEX ix_watch_alerts_state ON watch_alerts (state)
-- ;
CREATE TABLE corrections (
	id INTEGER NOT NULL, 
	team_id VARCHAR(32) NOT NULL, 
	article_id INTEGER NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	partner VARCHAR(300) NOT NULL, 
	value VARCHAR(300), 
	user_id VARCHAR(32), 
	engine_version VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE
)
-- ;
CREATE INDEX ix_corrections_team_id ON corrections (team_id)
-- ;
CREATE INDEX ix_corrections_article_id ON corrections (article_id)
-- ;
CREATE INDEX ix_corrections_created_at ON corrections (created_at)
-- ;
CREATE INDEX ix_partner_entity_kind_date ON partner_mentions (entity, kind, country, mentioned_on, article_id, tier)
-- ;
CREATE INDEX ix_partner_entity_lower ON partner_mentions (lower(entity))
-- ;
CREATE TABLE team_feeds (
	team_id VARCHAR(32) NOT NULL, 
	feed_id INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (team_id, feed_id), 
	FOREIGN KEY(feed_id) REFERENCES feeds (id) ON DELETE CASCADE
)
-- ;
CREATE INDEX ix_team_feeds_feed_id ON team_feeds (feed_id)
-- ;
CREATE TABLE team_articles (
	team_id VARCHAR(32) NOT NULL, 
	article_id INTEGER NOT NULL, 
	via VARCHAR(8) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (team_id, article_id), 
	FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE
)
-- ;
CREATE INDEX ix_team_articles_article_id ON team_articles (article_id)
-- ;
CREATE TABLE "minhash_bands" (band BIGINT NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (band, article_id), FOREIGN KEY(article_id) REFERENCES articles (id) ON DELETE CASCADE) WITHOUT ROWID
-- ;
CREATE TABLE partner_totals (
	entity VARCHAR(300) NOT NULL, 
	kind VARCHAR(32) NOT NULL, 
	country VARCHAR(2) NOT NULL, 
	tier VARCHAR(16), 
	mentions INTEGER NOT NULL, 
	first_seen DATE, 
	last_seen DATE, 
	latest_article_id INTEGER, 
	first_article_id INTEGER, 
	PRIMARY KEY (entity, kind, country)
)
-- ;
CREATE INDEX ix_partner_totals_lower ON partner_totals (lower(entity))
