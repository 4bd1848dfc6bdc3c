"""The cluster (bot/entrypoints/cluster_stack.py) once for the module: needs PostgreSQL and Redis
(`make test-cluster` runs scripts/with-postgres.sh and scripts/with-redis.sh around it),
Debian's nginx, and the trained model."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.entrypoints.cluster_stack import NGINX, Cluster, demo_databases

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def cluster(model_path, tmp_path_factory):
    server = os.environ.get("AMPER_TEST_POSTGRES_URL")
    redis_url = os.environ.get("AMPER_TEST_REDIS_URL")
    if os.environ.get("AMPER_TEST_CLUSTER") != "1":
        pytest.skip("le cluster se teste avec make test-cluster")
    if not server or not redis_url or not Path(NGINX).exists():
        pytest.skip("make test-cluster : PostgreSQL, Redis et nginx nécessaires")
    booking, tracker = demo_databases(server, "amper")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    running = Cluster(var=tmp_path_factory.mktemp("cluster"), model=model_path,
                      booking_url=booking, tracker_url=tracker, redis_url=redis_url).start()
    yield running
    running.stop()
