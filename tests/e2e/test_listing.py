"""ListObjects (v1/v2), pagination, encoding, versions listing."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote_plus

import pytest

from helpers import http_status, parse_xml, quoted_md5

TREE = ["a/1.txt", "a/2.txt", "a/sub/3.txt", "b/1.txt", "c.txt", "d/e/f.txt", "z"]


@pytest.fixture
def tree_bucket(ep, bucket):
    for key in TREE:
        ep.s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def test_list_v2_all(s3, tree_bucket):
    resp = s3.list_objects_v2(Bucket=tree_bucket)
    assert http_status(resp) == 200
    assert [o["Key"] for o in resp["Contents"]] == sorted(TREE)
    assert resp["KeyCount"] == len(TREE)
    assert resp["IsTruncated"] is False
    assert resp["Name"] == tree_bucket
    assert resp["MaxKeys"] == 1000
    first = resp["Contents"][0]
    assert first["Size"] == len(first["Key"])
    assert first["ETag"] == quoted_md5(first["Key"].encode())
    assert first["StorageClass"] == "STANDARD"
    assert first["LastModified"]
    assert "Owner" not in first  # v2 only returns Owner with FetchOwner=true


def test_list_v2_fetch_owner(s3, tree_bucket):
    resp = s3.list_objects_v2(Bucket=tree_bucket, FetchOwner=True)
    assert all(o["Owner"]["ID"] for o in resp["Contents"])


@pytest.mark.parametrize("version", [1, 2])
def test_list_prefix(s3, tree_bucket, version):
    fn = s3.list_objects_v2 if version == 2 else s3.list_objects
    resp = fn(Bucket=tree_bucket, Prefix="a/")
    assert [o["Key"] for o in resp["Contents"]] == ["a/1.txt", "a/2.txt", "a/sub/3.txt"]
    assert resp["Prefix"] == "a/"
    empty = fn(Bucket=tree_bucket, Prefix="nothing-here")
    assert "Contents" not in empty
    if version == 2:
        assert empty["KeyCount"] == 0


@pytest.mark.parametrize("version", [1, 2])
def test_list_delimiter(s3, tree_bucket, version):
    fn = s3.list_objects_v2 if version == 2 else s3.list_objects
    resp = fn(Bucket=tree_bucket, Delimiter="/")
    assert [o["Key"] for o in resp["Contents"]] == ["c.txt", "z"]
    assert [p["Prefix"] for p in resp["CommonPrefixes"]] == ["a/", "b/", "d/"]
    assert resp["Delimiter"] == "/"
    if version == 2:
        assert resp["KeyCount"] == 5
    nested = fn(Bucket=tree_bucket, Delimiter="/", Prefix="a/")
    assert [o["Key"] for o in nested["Contents"]] == ["a/1.txt", "a/2.txt"]
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["a/sub/"]


def test_list_v2_start_after(s3, tree_bucket):
    resp = s3.list_objects_v2(Bucket=tree_bucket, StartAfter="b/1.txt")
    assert [o["Key"] for o in resp["Contents"]] == ["c.txt", "d/e/f.txt", "z"]
    assert resp["StartAfter"] == "b/1.txt"


def test_list_v1_marker(s3, tree_bucket):
    resp = s3.list_objects(Bucket=tree_bucket, Marker="c.txt")
    assert [o["Key"] for o in resp["Contents"]] == ["d/e/f.txt", "z"]
    assert resp["Marker"] == "c.txt"


def test_list_v2_delimiter_pagination_counts_prefixes(s3, tree_bucket):
    # Max-keys counts Contents and CommonPrefixes together.
    pages, token = [], None
    while len(pages) < 10:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=tree_bucket, Delimiter="/", MaxKeys=2, **kw)
        items = [o["Key"] for o in page.get("Contents", [])] + \
                [p["Prefix"] for p in page.get("CommonPrefixes", [])]
        assert page["KeyCount"] == len(items) <= 2
        pages.append(sorted(items))
        if not page["IsTruncated"]:
            break
        token = page["NextContinuationToken"]
    # A page must not repeat a CommonPrefix already returned: the continuation
    # after "b/" skips every key under "b/".
    assert pages == [["a/", "b/"], ["c.txt", "d/"], ["z"]]


N_KEYS = 250


_MANY_KEYS_CACHE: dict = {}


@pytest.fixture
def many_keys_bucket(ep):
    """A bucket with N_KEYS objects, filled once per server and scheme (read-only)."""
    cache_key = (id(ep.server), ep.scheme)
    if cache_key not in _MANY_KEYS_CACHE:
        bucket = ep.create_bucket("many")
        keys = [f"k/{i:04d}" for i in range(N_KEYS)]
        s3 = ep.client(max_pool_connections=8)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b""), keys))
        _MANY_KEYS_CACHE[cache_key] = (bucket, keys)
    return _MANY_KEYS_CACHE[cache_key]


def test_list_v2_pagination_manual(s3, many_keys_bucket):
    bucket, keys = many_keys_bucket
    got, token, pages = [], None, 0
    while True:
        kw = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, MaxKeys=100, **kw)
        pages += 1
        got += [o["Key"] for o in page["Contents"]]
        assert page["KeyCount"] == len(page["Contents"])
        assert page["MaxKeys"] == 100
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        assert page["KeyCount"] == 100
        token = page["NextContinuationToken"]
        assert token
    assert pages == 3
    assert got == keys


def test_list_v1_pagination_manual(s3, many_keys_bucket):
    bucket, keys = many_keys_bucket
    got, marker = [], ""
    while True:
        page = s3.list_objects(Bucket=bucket, MaxKeys=100, Marker=marker)
        got += [o["Key"] for o in page["Contents"]]
        if not page["IsTruncated"]:
            break
        marker = page.get("NextMarker") or page["Contents"][-1]["Key"]
    assert got == keys


def test_list_v1_next_marker_with_delimiter(s3, many_keys_bucket):
    bucket, keys = many_keys_bucket
    page = s3.list_objects(Bucket=bucket, MaxKeys=100, Delimiter="|")
    assert page["IsTruncated"] is True
    assert page["NextMarker"] == keys[99]


@pytest.mark.parametrize("version", [1, 2])
def test_list_paginator(s3, many_keys_bucket, version):
    bucket, keys = many_keys_bucket
    op = "list_objects_v2" if version == 2 else "list_objects"
    pages = list(s3.get_paginator(op).paginate(Bucket=bucket, PaginationConfig={"PageSize": 100}))
    assert len(pages) == 3
    assert [o["Key"] for p in pages for o in p["Contents"]] == keys


def test_list_max_keys_zero(s3, tree_bucket):
    resp = s3.list_objects_v2(Bucket=tree_bucket, MaxKeys=0)
    assert resp["KeyCount"] == 0
    assert "Contents" not in resp


ENC_KEYS = ["sp ace", "plus+", "ünï", "amp&x", "ctl\x01char", "pct%41"]


@pytest.mark.parametrize("list_type", [None, "2"], ids=["v1", "v2"])
def test_list_encoding_type_url(ep, bucket, list_type):
    for key in ENC_KEYS:
        ep.s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    params = {"encoding-type": "url"}
    if list_type:
        params["list-type"] = list_type
    resp = ep.request("GET", f"/{bucket}", params=params)
    assert resp.status_code == 200, resp.text
    root = parse_xml(resp.content)
    assert root.findtext("EncodingType") == "url"
    raw_keys = [c.findtext("Key") for c in root.findall("Contents")]
    assert len(raw_keys) == len(ENC_KEYS)
    for raw in raw_keys:
        assert raw.isascii() and " " not in raw and "&" not in raw, raw
    assert sorted(unquote_plus(k) for k in raw_keys) == sorted(ENC_KEYS)
    assert "plus%2B" in raw_keys
    # boto3 requests encoding-type=url itself and decodes transparently
    listed = [o["Key"] for o in ep.s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted(ENC_KEYS)


def test_list_v2_raw_xml_shape(ep, tree_bucket):
    resp = ep.request("GET", f"/{tree_bucket}",
                      params={"list-type": "2", "delimiter": "/", "max-keys": "2"})
    assert resp.status_code == 200
    root = parse_xml(resp.content)
    assert root.tag == "ListBucketResult"
    assert root.findtext("Name") == tree_bucket
    assert root.findtext("KeyCount") == "2"
    assert root.findtext("MaxKeys") == "2"
    assert root.findtext("IsTruncated") == "true"
    assert root.findtext("NextContinuationToken")
    assert root.findtext("Delimiter") == "/"


def test_list_object_versions_unversioned(s3, bucket):
    s3.put_object(Bucket=bucket, Key="v1", Body=b"a")
    s3.put_object(Bucket=bucket, Key="v2", Body=b"bb")
    resp = s3.list_object_versions(Bucket=bucket)
    assert http_status(resp) == 200
    versions = resp["Versions"]
    assert [v["Key"] for v in versions] == ["v1", "v2"]
    for v in versions:
        assert v["VersionId"] == "null"
        assert v["IsLatest"] is True
    assert versions[1]["Size"] == 2
    assert versions[1]["ETag"] == quoted_md5(b"bb")
    assert not resp.get("DeleteMarkers")


def test_get_bucket_versioning_never_enabled(s3, bucket):
    resp = s3.get_bucket_versioning(Bucket=bucket)
    assert http_status(resp) == 200
    assert "Status" not in resp
    assert "MFADelete" not in resp
