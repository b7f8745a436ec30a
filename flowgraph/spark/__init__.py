"""The Spark engine: the flows -> edge table step on a cluster (EMR, Glue, Databricks).

Same result as the local engine, by construction: Spark runs the local reader
and resolver inside its tasks (``mapInArrow`` over ``binaryFile`` rows) and the
aggregation SQL of :mod:`flowgraph.graph.sql` unchanged with ``spark.sql``.
pyspark is imported only when a function here is called (``pip install
'flowgraph[spark]'``; Java 17 or later).  See ``docs/spark.md``.

Examples
--------
>>> from flowgraph.spark import spark_uri, hadoop_aws_package
>>> spark_uri("s3://bucket/AWSLogs/")
's3a://bucket/AWSLogs/'
>>> hadoop_aws_package("3.4.1")
'org.apache.hadoop:hadoop-aws:3.4.1'
>>> from flowgraph.spark import build_graph_spark
>>> g = build_graph_spark("data/sample/logs", "data/sample/inventory.csv", master="local[2]")  # doctest: +SKIP
"""

from .engine import build_graph_spark, edges, spark_uri
from .session import hadoop_aws_package, s3a_conf, spark_session

__all__ = ["edges", "build_graph_spark", "spark_session", "s3a_conf", "hadoop_aws_package", "spark_uri"]
