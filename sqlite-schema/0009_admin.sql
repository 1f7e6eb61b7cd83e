-- The web admin (issue 13): who changed what, when. Written by the web admin after every
-- successful change and login, by the control socket for commands that change something,
-- and by `hotspotd admin password`. The operator's password hash lives in `settings`
-- (key `admin_password`). Pruned to the latest rows by `store::audit::record`.
CREATE TABLE admin_audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
