"""Spark sessions for flowgraph: local defaults, S3 through ``s3a``.

:func:`spark_session` starts (or returns the running) :class:`pyspark.sql.SparkSession`
with defaults that suit the flowgraph job; :func:`s3a_conf` turns the ``s3``
options the local engine takes (``endpoint_override``, ``region``,
credentials) into Hadoop ``fs.s3a.*`` settings.  Nothing here imports pyspark
at module import time.

Reading ``s3a://`` needs the ``hadoop-aws`` jar of the same version as the
Hadoop that Spark bundles (:func:`hadoop_version`) and its AWS SDK bundle:
``spark-submit --packages org.apache.hadoop:hadoop-aws:<version>`` or
``spark_session(s3a=True)``, which sets ``spark.jars.packages`` the same way.
EMR, Glue and Databricks ship it already.

Examples
--------
>>> conf = s3a_conf({"endpoint_override": "http://127.0.0.1:9000", "access_key": "k", "secret_key": "s"},
...                 hadoop="3.4.1")
>>> conf["fs.s3a.endpoint"], conf["fs.s3a.path.style.access"], conf["fs.s3a.connection.ssl.enabled"]
('127.0.0.1:9000', 'true', 'false')
>>> conf["fs.s3a.aws.credentials.provider"]
'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider'
>>> s3a_conf(hadoop="3.3.4")["fs.s3a.aws.credentials.provider"]
'com.amazonaws.auth.DefaultAWSCredentialsProviderChain'
>>> spark = spark_session("local[2]")  # doctest: +SKIP
"""

from __future__ import annotations

import glob
import os
import re
import sys
from urllib.parse import urlparse

from .._optional import import_optional

__all__ = ["spark_session", "s3a_conf", "hadoop_version", "hadoop_aws_package", "LOCAL_DEFAULTS"]

LOCAL_DEFAULTS: dict[str, str] = {
    "spark.sql.shuffle.partitions": "8",
}
"""Extra defaults for ``local[...]`` masters (a few shuffle partitions, not 200)."""

DEFAULTS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.memory": "2g",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.adaptive.enabled": "true",
    "spark.python.worker.reuse": "true",
}
"""Defaults for every master; keyword arguments of :func:`spark_session` override them."""

_V1_CHAIN = "com.amazonaws.auth.DefaultAWSCredentialsProviderChain"
_V2_CHAIN = "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"


def _pyspark():
    return import_optional("pyspark", extra="spark", purpose="the Spark engine")


def hadoop_version() -> str | None:
    """Version of the Hadoop client bundled with the installed pyspark (``None`` if unknown).

    >>> v = hadoop_version()
    >>> v is None or v.count(".") == 2
    True
    """
    try:
        import pyspark
    except ImportError:
        return None
    jars = os.path.join(os.path.dirname(pyspark.__file__), "jars")
    for path in sorted(glob.glob(os.path.join(jars, "hadoop-client-api-*.jar"))):
        m = re.search(r"hadoop-client-api-(\d+\.\d+\.\d+)", os.path.basename(path))
        if m:
            return m.group(1)
    return None


def hadoop_aws_package(version: str | None = None) -> str:
    """The ``--packages`` coordinate of hadoop-aws matching Spark's Hadoop.

    >>> hadoop_aws_package("3.4.1")
    'org.apache.hadoop:hadoop-aws:3.4.1'
    """
    return f"org.apache.hadoop:hadoop-aws:{version or hadoop_version() or '3.4.1'}"


def _at_least(version: str | None, major: int, minor: int) -> bool:
    if not version:
        return True
    parts = [int(p) for p in re.findall(r"\d+", version)[:2]] + [0, 0]
    return (parts[0], parts[1]) >= (major, minor)


def s3a_conf(s3: dict | None = None, *, hadoop: str | None = None) -> dict[str, str]:
    """Hadoop ``fs.s3a.*`` settings for the ``s3`` options of :func:`flowgraph.graph.build_graph`.

    Parameters
    ----------
    s3 : dict, optional
        ``endpoint_override`` (or ``endpoint_url``, with or without scheme),
        ``region``, ``access_key``, ``secret_key``, ``session_token``, ``scheme``.
    hadoop : str, optional
        Hadoop version (default: the one bundled with pyspark).  From 3.4 on
        S3A uses the AWS SDK v2, whose default credential chain is
        ``software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider``;
        before, ``com.amazonaws.auth.DefaultAWSCredentialsProviderChain``.

    Returns
    -------
    dict
        Keys without the ``spark.hadoop.`` prefix (prefix them for
        ``SparkSession.builder.config``; ``spark.conf.set`` takes them as they are).
        Without explicit keys the credentials come from the default AWS chain:
        environment, ``~/.aws`` profiles, container and instance-profile roles.
    """
    opts = dict(s3 or {})
    hadoop = hadoop or hadoop_version()
    conf: dict[str, str] = {"fs.s3a.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem"}
    if opts.get("access_key") and opts.get("secret_key"):
        conf["fs.s3a.access.key"] = str(opts["access_key"])
        conf["fs.s3a.secret.key"] = str(opts["secret_key"])
        if opts.get("session_token"):
            conf["fs.s3a.session.token"] = str(opts["session_token"])
            conf["fs.s3a.aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
        else:
            conf["fs.s3a.aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
    elif opts.get("anonymous"):
        conf["fs.s3a.aws.credentials.provider"] = "org.apache.hadoop.fs.s3a.AnonymousAWSCredentialsProvider"
    else:
        conf["fs.s3a.aws.credentials.provider"] = _V2_CHAIN if _at_least(hadoop, 3, 4) else _V1_CHAIN
    endpoint = opts.get("endpoint_override") or opts.get("endpoint_url")
    if endpoint:
        scheme = opts.get("scheme")
        if "://" in endpoint:
            parsed = urlparse(endpoint)
            scheme = scheme or parsed.scheme
            endpoint = parsed.netloc
        conf["fs.s3a.endpoint"] = endpoint
        conf["fs.s3a.path.style.access"] = "true"
        if scheme:
            conf["fs.s3a.connection.ssl.enabled"] = "true" if scheme == "https" else "false"
    if opts.get("region"):
        conf["fs.s3a.endpoint.region"] = str(opts["region"])
    return conf


def spark_session(master: str = "local[*]", app_name: str = "flowgraph", *, s3: dict | None = None,
                  s3a: bool = False, **conf):
    """Start (or return the running) SparkSession with flowgraph's defaults.

    Parameters
    ----------
    master : str
        ``local[*]``, ``local[2]``, ``yarn``, ``spark://host:7077``, ``k8s://...``.
        Ignored when a session is already running (Spark's ``getOrCreate``) and
        under ``spark-submit`` (its ``--master`` wins).
    app_name : str
        Application name.
    s3 : dict, optional
        S3 options (see :func:`s3a_conf`); applied as ``spark.hadoop.fs.s3a.*``.
    s3a : bool
        Also fetch ``hadoop-aws`` via ``spark.jars.packages`` (needs Maven
        Central or a mirror; not needed on EMR, Glue or Databricks).
    **conf
        Any Spark setting, e.g. ``**{"spark.executor.memory": "8g"}``; wins over
        the defaults (:data:`DEFAULTS`, plus :data:`LOCAL_DEFAULTS` for local masters).

    Returns
    -------
    pyspark.sql.SparkSession

    Examples
    --------
    Starting a session launches a JVM, so this example is not run as a doctest
    (``tests/spark`` covers it)::

        spark = spark_session("local[2]", **{"spark.sql.shuffle.partitions": "4"})
        spark.conf.get("spark.sql.session.timeZone")   # 'UTC'
    """
    _pyspark()
    from pyspark.sql import SparkSession

    under_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM: its --master wins
    settings = dict(DEFAULTS)
    if under_submit:
        settings.pop("spark.driver.memory")  # too late to change; spark-submit --driver-memory sets it
    if master.startswith("local") and not under_submit:
        settings.update(LOCAL_DEFAULTS)
        if not os.environ.get("PYSPARK_PYTHON"):
            # Local Python workers must see flowgraph and pyarrow: run them with this
            # interpreter (pyspark takes the workers' interpreter from this variable only).
            os.environ["PYSPARK_PYTHON"] = sys.executable
    if s3 is not None or s3a:
        settings.update({f"spark.hadoop.{k}": v for k, v in s3a_conf(s3).items()})
    if s3a:
        settings["spark.jars.packages"] = hadoop_aws_package()
    settings.update({k: str(v) for k, v in conf.items()})
    builder = SparkSession.builder.appName(app_name)
    if not under_submit:
        builder = builder.master(master)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    if under_submit and (spark.sparkContext.master or "").startswith("local"):
        for key, value in LOCAL_DEFAULTS.items():  # runtime settings: spark-submit --conf still wins
            if key not in conf and not spark.sparkContext.getConf().contains(key):
                spark.conf.set(key, value)
    return spark
