#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/nightly.sh when the database goes away for longer than the sweep waits for it
(scan --db-patience 3; PostgreSQL stopped for 12 s): the sweep stops, the night waits for the
database, resumes the run, which completes, and writes the reports. Stops the rig's PostgreSQL:
runs alone (the name says "restart")."""

import time

import test_nightly
import zstest


def database_away(sweep):
    zstest.rig("stop-pg")
    try:
        time.sleep(12)  # longer than --db-patience: the sweep gives up, the night waits
    finally:
        zstest.rig("start-pg")


def test(env, tmp):
    db = zstest.Database(env["ZS_PG_ADMIN"], "it_nightly_pg")
    try:
        test_nightly.interrupted_night(env, db, tmp, database_away, "--db-patience", "3")
    finally:
        db.drop()


if __name__ == "__main__":
    zstest.main(test)
