-- 'all': every event of the token; 'labeled': only transfers touching a labeled wallet (plus all supply events).
ALTER TABLE sync_state ADD COLUMN scope VARCHAR;
UPDATE sync_state SET scope = 'all';
