"""Segue's scale-out miner: Spark counts the frequent itemsets, `miner import` makes the model.

Reads what `miner mine` reads (the course CSV, MPD JSON slices, Parquet tables of playlist
rows; columns found by name) from local paths or object storage (any Hadoop file system URL,
e.g. s3a://bucket/prefix once the s3a connector is configured), makes each playlist the set of
its track URIs, and writes to OUT:

  itemsets/   Parquet: `items` (array of URIs, sorted), `count`: every itemset of 1..max_len
              tracks in at least `min count` playlists, with its exact count
  tracks/     Parquet: `uri`, `name`, `artist`, `album`, `count` (playlists containing it):
              every track read; names from the track's first row in reading order (files in
              the order `miner mine` lists them, rows in file order), as `miner mine` keeps them
  _manifest.json  written last, the completion marker: playlists, rows, min count, max length,
              inputs, Spark version, and each data file with its size and row count

Usage: python segue_itemsets.py (--out OUT | --out-parent DIR) [--min-support F | --min-count N] [--max-len 3]
                                [--method sql|fpgrowth] INPUT...
"""

import argparse
import json
import math
import os
import sys
import time
import uuid

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

MANIFEST = "_manifest.json"
TAKEN = "mpd.slice.*.json, *.csv with columns pid and track_uri, *.parquet (each but Parquet also .gz)"
MANIFEST_VERSION = 1

# Java regexes with Unicode classes: Rust's `str::trim` (Unicode White_Space) and `trim_ascii`.
TRIM_UNICODE = r"(?U)^\s+|\s+$"
TRIM_ASCII = r"^[\t\n\f\r ]+|[\t\n\f\r ]+$"

MPD_SCHEMA = T.StructType([
    T.StructField("playlists", T.ArrayType(T.StructType([
        T.StructField("tracks", T.ArrayType(T.StructType([
            T.StructField("track_uri", T.StringType()),
            T.StructField("track_name", T.StringType()),
            T.StructField("artist_name", T.StringType()),
            T.StructField("album_name", T.StringType()),
        ]))),
    ]))),
])


class InputError(Exception):
    """Bad input: said with the file and what is wrong."""


# Discovery: which files an input names, as `miner mine` finds them (miner/src/dataset/
# discover.rs): named files taken as they are; directories walked (subdirectories too; hidden
# entries and symbolic links to directories not entered), their dataset files recognised by
# name (and a CSV by its header), sorted by path component by component. The same files in
# the same order, so that a track keeps the same first-seen names.


def detect(name: str):
    """The format a file name stands for (discover.rs `detect`): `mpd.slice.*.json` mpd,
    `*.csv` csv, `*.baskets` / `*.dat` baskets (each also .gz), `*.parquet` parquet."""
    name = name.lower()
    base = name[:-3] if name.endswith(".gz") else name
    if base.startswith("mpd.slice.") and base.endswith(".json"):
        return "mpd"
    if base.endswith(".csv"):
        return "csv"
    if base.endswith(".baskets") or base.endswith(".dat"):
        return "baskets"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def is_challenge_set(name: str) -> bool:
    name = name.lower()
    base = name[:-3] if name.endswith(".gz") else name
    return base.startswith("challenge_set") and base.endswith(".json")


def csv_header_ok(spark: SparkSession, path: str) -> bool:
    """Whether a CSV file's header has `pid` and `track_uri` (surrounding ASCII blanks
    ignored), as discover.rs asks before taking it; an unreadable file is not taken."""
    try:
        raw = (spark.read.option("header", True).option("multiLine", True)
               .option("quote", '"').option("escape", '"').option("inferSchema", False)
               .option("enforceSchema", False).csv(path))
        names = {c.strip(" \t\n\r\f\v") for c in raw.columns}
    except Exception:  # noqa: BLE001 - an unreadable CSV is skipped, as the miner skips it
        return False
    return {"pid", "track_uri"} <= names


def classify(spark: SparkSession, name: str, path: str):
    """The format of a dataset file, or None when it is not one (discover.rs `classify`)."""
    if is_challenge_set(name):
        return None
    fmt = detect(name)
    if fmt == "csv" and not csv_header_ok(spark, path):
        return None
    return fmt


def walk(spark: SparkSession, fs, path, parts, found):
    """Appends (path components below the input, full path, format) of the dataset files
    under `path`, depth first."""
    for status in fs.listStatus(path):
        child = status.getPath()
        name = child.getName()
        full = child.toString()
        if name.startswith("."):
            continue
        local = local_path(full)
        if local is not None and os.path.islink(local) and os.path.isdir(local):
            continue  # a symbolic link to a directory: not followed
        if status.isDirectory():
            walk(spark, fs, child, parts + [name], found)
        elif status.isFile():
            fmt = classify(spark, name, full)
            if fmt is not None:
                found.append((parts + [name], full, fmt))


def local_path(url: str):
    """The local path a Hadoop path names, or None for another file system."""
    if url.startswith("file:"):
        return url[len("file:"):]
    if "://" not in url and not url.startswith("hdfs:"):
        return url
    return None


def list_files(spark: SparkSession, inputs):
    """The dataset files the inputs name, in reading order, as (label, path, format):
    `miner mine`'s discovery (miner/src/dataset/discover.rs). A directory's files are given
    as the input's path joined with their relative path."""
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    files = []
    for given in inputs:
        path = jvm.org.apache.hadoop.fs.Path(given)
        fs = path.getFileSystem(conf)
        if not fs.exists(path):
            raise InputError(f"{given}: no such file or directory")
        if fs.getFileStatus(path).isDirectory():
            found = []
            walk(spark, fs, path, [], found)
            if not found:
                raise InputError(f"{given}: no dataset files found ({TAKEN})")
            found.sort(key=lambda f: f[0])
            base = given.rstrip("/")
            files.extend((parts[-1], base + "/" + "/".join(parts), fmt) for parts, _, fmt in found)
        else:
            name = path.getName()
            if is_challenge_set(name):
                raise InputError(f"{given}: the RecSys Challenge 2018 challenge set is test data, not training data")
            fmt = detect(name)
            if fmt is None:
                raise InputError(f"{given}: not a dataset file name ({TAKEN})")
            files.append((name, given, fmt))
    for _, full, fmt in files:
        if fmt == "baskets":
            raise InputError(f"{full}: baskets files are not read by the Spark job (mine them with "
                             "`miner mine`, or convert them to Parquet playlist rows)")
    return files


def by_name(df: DataFrame, path: str, required, optional):
    """The columns found by name (surrounding ASCII blanks ignored, first of duplicates wins),
    as `miner mine`'s CSV reader finds them; a missing required column is an error."""
    found = {}
    for i, col in enumerate(df.columns):
        found.setdefault(col.strip(" \t\n\r\f\v"), i)
    cols = {}
    for name in required:
        if name not in found:
            raise InputError(
                f"{path}: missing column `{name}` in the header (found: {', '.join(df.columns)})")
    for name in list(required) + list(optional):
        cols[name] = df.columns[found[name]] if name in found else None
    return cols


def rows_of(spark: SparkSession, index: int, fmt: str, path: str) -> DataFrame:
    """One file's playlist entries: `playlist` (a key unique across files), `uri`, the names,
    and `seq` = (file index, position in the file) for the reading order."""
    if fmt == "mpd":
        doc = spark.read.schema(MPD_SCHEMA).option("multiLine", True).option("mode", "FAILFAST").json(path)
        rows = (doc.select(F.posexplode("playlists").alias("p", "playlist"))
                .select("p", F.posexplode("playlist.tracks").alias("t", "track"))
                .select(
                    F.concat_ws(":", F.lit(index), F.col("p").cast("string")).alias("playlist"),
                    F.col("track.track_uri").alias("uri"),
                    F.col("track.track_name").alias("name"),
                    F.col("track.artist_name").alias("artist"),
                    F.col("track.album_name").alias("album"),
                    # slices hold at most 1000 playlists of at most 2^20 tracks each
                    (F.col("p").cast("long") * (1 << 20) + F.col("t")).alias("pos"),
                ))
        missing_uri = F.col("uri").isNull()
    else:
        if fmt == "csv":
            raw = (spark.read.option("header", True).option("multiLine", True)
                   .option("quote", '"').option("escape", '"').option("mode", "FAILFAST")
                   .option("inferSchema", False).option("encoding", "UTF-8").csv(path))
        else:
            raw = spark.read.parquet(path)
        cols = by_name(raw, path, ["pid", "track_uri"], ["track_name", "artist_name", "album_name"])
        text = lambda c: F.coalesce(F.col(f"`{cols[c]}`").cast("string"), F.lit("")) if cols[c] else F.lit("")
        if fmt == "parquet":
            check_types(raw, path, cols)
        rows = raw.select(
            F.regexp_replace(F.col(f"`{cols['pid']}`").cast("string"), TRIM_ASCII, "").alias("pid"),
            F.regexp_replace(F.col(f"`{cols['track_uri']}`"), TRIM_UNICODE, "").alias("uri"),
            text("track_name").alias("name"),
            text("artist_name").alias("artist"),
            text("album_name").alias("album"),
            F.monotonically_increasing_id().alias("pos"),
        )
        bad = rows.filter(F.col("pid").isNull() | (F.col("pid") == "") | F.col("uri").isNull() | (F.col("uri") == "")).limit(1).count()
        if bad:
            raise InputError(f"{path}: a row with an empty pid or track_uri")
        rows = rows.select(F.concat_ws(":", F.lit(index), F.col("pid")).alias("playlist"),
                           "uri", "name", "artist", "album", "pos")
        missing_uri = F.lit(False)
    if fmt == "mpd" and rows.filter(missing_uri).limit(1).count():
        raise InputError(f"{path}: a track without `track_uri`")
    return rows.select("playlist", "uri",
                       F.coalesce("name", F.lit("")).alias("name"),
                       F.coalesce("artist", F.lit("")).alias("artist"),
                       F.coalesce("album", F.lit("")).alias("album"),
                       F.struct(F.lit(index).alias("file"), F.col("pos")).alias("seq"))


def check_types(raw: DataFrame, path: str, cols):
    """Parquet columns must hold what `miner mine` accepts: `pid` an integer or a string, the
    others strings."""
    types = {f.name: f.dataType for f in raw.schema.fields}
    for name, col in cols.items():
        if col is None:
            continue
        t = types[col]
        ok = isinstance(t, T.StringType) or (name == "pid" and isinstance(t, (T.IntegerType, T.LongType)))
        if not ok:
            raise InputError(f"{path}: column `{name}` has type {t.simpleString()}, expected "
                             + ("an integer or a string" if name == "pid" else "a string"))


def frequent_sql(baskets: DataFrame, min_count: int, max_len: int):
    """Itemsets of 1..max_len tracks by counting with Spark SQL, level by level: the
    candidates of size k are each playlist's frequent (k-1)-itemsets extended by a larger
    frequent track of the same playlist, counted exactly and kept when frequent."""
    counts = baskets.groupBy("uri").agg(F.count("*").alias("count"))
    level = counts.filter(F.col("count") >= min_count).select(F.array("uri").alias("items"), "count").cache()
    result = [level]
    # Playlists reduced to their frequent tracks: nothing infrequent is in a frequent set.
    fb = baskets.join(F.broadcast(level.select(F.col("items")[0].alias("uri"))), "uri").cache()
    # (playlist, a frequent itemset it contains), level by level.
    contained = fb.select("playlist", F.array("uri").alias("items"))
    for _ in range(2, max_len + 1):
        ext = (contained.join(fb.withColumnRenamed("uri", "y"), "playlist")
               .filter(F.col("y") > F.element_at("items", -1))
               .select("playlist", F.concat("items", F.array("y")).alias("items"))).cache()
        level = (ext.groupBy("items").agg(F.count("*").alias("count"))
                 .filter(F.col("count") >= min_count).cache())
        if level.limit(1).count() == 0:
            break
        result.append(level)
        contained = ext.join(level.select("items"), "items", "left_semi")
    return result


def frequent_fpgrowth(baskets: DataFrame, min_count: int, max_len: int, playlists: int):
    """Itemsets of 1..max_len tracks with MLlib's FPGrowth (all sizes), then filtered."""
    from pyspark.ml.fpm import FPGrowth

    tx = baskets.groupBy("playlist").agg(F.collect_list("uri").alias("items"))
    # FPGrowth keeps a set when count >= ceil(minSupport * n): half a playlist below min_count
    # makes that exactly min_count despite rounding.
    model = FPGrowth(itemsCol="items", minSupport=(min_count - 0.5) / playlists, minConfidence=1.0).fit(tx)
    sets = model.freqItemsets.filter(F.size("items") <= max_len)
    return [sets.select(F.array_sort("items").alias("items"), F.col("freq").cast("long").alias("count"))]


def data_files(spark: SparkSession, directory: str):
    """The Parquet files Spark wrote into `directory`: name, size, rows."""
    jvm = spark._jvm
    path = jvm.org.apache.hadoop.fs.Path(directory)
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())
    files = sorted((s.getPath().getName(), s.getLen(), s.getPath().toString())
                   for s in fs.listStatus(path)
                   if s.isFile() and s.getPath().getName().endswith(".parquet"))
    out = []
    for name, size, full in files:
        rows = spark.read.parquet(full).count()
        out.append({"name": name, "bytes": size, "rows": rows})
    return out


def write_text(spark: SparkSession, path: str, text: str):
    """Writes a small file through the Hadoop file system (local or object storage)."""
    jvm = spark._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    fs = p.getFileSystem(spark._jsc.hadoopConfiguration())
    out = fs.create(p, True)
    out.write(bytearray(text.encode("utf-8")))
    out.close()


# Object storage output. With the s3a connector on the classpath (hadoop-aws and the AWS SDK:
# an image that adds them, spark/Dockerfile), Spark writes s3a:// URLs itself. Without it
# (pyspark from PyPI ships no hadoop-aws), an s3:// or s3a:// output of a local-mode run is
# written to a local staging directory and uploaded with boto3, the manifest last: the same
# objects, the same completion marker. Credentials and endpoint come from the standard
# sources of each (environment, web identity, instance metadata; AWS_ENDPOINT_URL, or
# AWS_ENDPOINT as `miner` reads it).


def split_s3(url: str):
    """(bucket, key prefix) of an s3:// or s3a:// URL; None for anything else."""
    for scheme in ("s3://", "s3a://"):
        if url.startswith(scheme):
            bucket, _, key = url[len(scheme):].partition("/")
            return bucket, key.strip("/")
    return None


def hadoop_can_write(spark: SparkSession, url: str) -> bool:
    """Whether Hadoop has a file system for `url`'s scheme (s3a: hadoop-aws present)."""
    try:
        spark._jvm.org.apache.hadoop.fs.Path(url).getFileSystem(spark._jsc.hadoopConfiguration())
        return True
    except Exception:  # noqa: BLE001 - a Py4J error: no file system class for the scheme
        return False


def upload_s3(stage: str, url: str):
    """Uploads the staged output under `url`, every file but hidden ones, the manifest last."""
    import boto3

    bucket, prefix = split_s3(url)
    endpoint = (os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
                or os.environ.get("AWS_ENDPOINT"))
    client = boto3.client("s3", endpoint_url=endpoint)
    files = []
    for root, dirs, names in os.walk(stage):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if not name.startswith("."):
                rel = os.path.relpath(os.path.join(root, name), stage).replace(os.sep, "/")
                files.append(rel)
    files.sort(key=lambda rel: (rel == MANIFEST, rel))
    for rel in files:
        key = f"{prefix}/{rel}" if prefix else rel
        client.upload_file(os.path.join(stage, rel), bucket, key)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", help="files or directories (local paths or Hadoop URLs such as s3a://)")
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--out", help="output directory")
    where.add_argument("--out-parent",
                       help="write to a new directory under this one named by the UTC time (the scheduled runs; "
                            "`miner import --from PARENT` takes the newest complete one)")
    ap.add_argument("--min-support", type=float, default=None, help="fraction of playlists (default 0.01)")
    ap.add_argument("--min-count", type=int, default=None, help="playlists (overrides --min-support)")
    ap.add_argument("--max-len", type=int, default=3, help="largest itemset (default 3)")
    ap.add_argument("--method", choices=["sql", "fpgrowth"], default="sql",
                    help="sql: level-wise counting with Spark SQL (default); fpgrowth: MLlib FPGrowth, then filter")
    ap.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE",
                    help="a Spark setting (repeatable), as spark-submit's --conf; e.g. the s3a settings")
    args = ap.parse_args(argv)
    if args.max_len < 2:
        ap.error(f"--max-len {args.max_len} must be at least 2")
    if args.min_count is None:
        support = 0.01 if args.min_support is None else args.min_support
        if not 0.0 < support <= 1.0:
            ap.error(f"--min-support {support} must be within (0, 1]")
    builder = SparkSession.builder.appName("segue-itemsets")
    for setting in args.conf:
        key, sep, value = setting.partition("=")
        if not sep:
            ap.error(f"--conf {setting}: expected KEY=VALUE")
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    conf = spark.sparkContext.getConf()
    if spark.sparkContext.master.startswith("local") and not conf.contains("spark.sql.shuffle.partitions"):
        # One machine: a few partitions per core, not the cluster default of 200 (each a task).
        spark.conf.set("spark.sql.shuffle.partitions", str(4 * spark.sparkContext.defaultParallelism))
    try:
        return run(spark, args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        spark.stop()


def run(spark: SparkSession, args) -> int:
    if args.out is not None:
        target = args.out.rstrip("/")
    else:
        target = args.out_parent.rstrip("/") + "/" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    if split_s3(target) is None:
        return write_output(spark, args, target)
    hadoop_url = "s3a://" + target.split("://", 1)[1]
    if hadoop_can_write(spark, hadoop_url):
        return write_output(spark, args, hadoop_url)
    if not spark.sparkContext.master.startswith("local"):
        raise InputError(f"{target}: this Spark has no s3a file system (hadoop-aws and the AWS SDK are "
                         "not on its classpath): use an image that has them (spark/Dockerfile)")
    import shutil
    import tempfile

    stage = tempfile.mkdtemp(prefix="segue-itemsets-")
    try:
        code = write_output(spark, args, stage)
        if code == 0:
            upload_s3(stage, target)
            print(f"uploaded to {target}")
        return code
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_output(spark: SparkSession, args, out: str) -> int:
    """Mines the inputs and writes the output to `out` (a local path or a Hadoop URL)."""
    start = time.time()
    files = list_files(spark, args.inputs)
    rows = None
    for index, (_, path, fmt) in enumerate(files):
        part = rows_of(spark, index, fmt, path)
        rows = part if rows is None else rows.unionByName(part)
    rows = rows.cache()
    n_rows = rows.count()
    baskets = rows.select("playlist", "uri").distinct().cache()
    playlists = baskets.select("playlist").distinct().count()
    if playlists == 0:
        raise InputError("the input has no playlists: nothing to mine")
    if args.min_count is not None:
        min_count = max(args.min_count, 1)
    else:
        support = 0.01 if args.min_support is None else args.min_support
        min_count = max(math.ceil(support * playlists), 1)

    # The track table: names from each track's first row in reading order.
    first = rows.groupBy("uri").agg(F.min(F.struct("seq", "name", "artist", "album")).alias("f"))
    counts = baskets.groupBy("uri").agg(F.count("*").cast("int").alias("count"))
    tracks = first.join(counts, "uri").select(
        "uri", F.col("f.name").alias("name"), F.col("f.artist").alias("artist"),
        F.col("f.album").alias("album"), "count")
    tracks.coalesce(1).write.mode("overwrite").parquet(f"{out}/tracks")

    levels = (frequent_sql(baskets, min_count, args.max_len) if args.method == "sql"
              else frequent_fpgrowth(baskets, min_count, args.max_len, playlists))
    itemsets = levels[0]
    for level in levels[1:]:
        itemsets = itemsets.unionByName(level)
    itemsets = itemsets.select(F.col("items").cast("array<string>"), F.col("count").cast("int"))
    itemsets.coalesce(1).write.mode("overwrite").parquet(f"{out}/itemsets")

    manifest = {
        "format": "segue-itemsets",
        "version": MANIFEST_VERSION,
        "run_id": str(uuid.uuid4()),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "playlists": playlists,
        "rows": n_rows,
        "min_support": None if args.min_count is not None else (0.01 if args.min_support is None else args.min_support),
        "min_count": min_count,
        "max_len": args.max_len,
        "method": args.method,
        "inputs": [name for name, _, _ in files],
        "input_paths": [path for _, path, _ in files],
        "spark_version": spark.version,
        "seconds": round(time.time() - start, 3),
        "files": {
            "itemsets": data_files(spark, f"{out}/itemsets"),
            "tracks": data_files(spark, f"{out}/tracks"),
        },
    }
    write_text(spark, f"{out}/{MANIFEST}", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {sum(f['rows'] for f in manifest['files']['itemsets'])} itemsets and "
          f"{sum(f['rows'] for f in manifest['files']['tracks'])} tracks of {playlists} playlists "
          f"(min count {min_count}) to {out} in {manifest['seconds']:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
