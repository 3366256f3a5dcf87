# Run inside the sandbox by tls-sigv4.test.ts: a SigV4 client written from
# AWS's description of the protocol (independent of srt's signer). It signs
# with the credentials in its environment (the sandbox's: sentinels) and sends
# through HTTPS_PROXY with the trust srt sets. Prints key=value lines.
#   python3 sigv4-client.py URL METHOD BODY MODE
# MODE: header | streaming | presigned
import datetime, hashlib, hmac, os, sys, urllib.error, urllib.parse, urllib.request

url, method, body, mode = sys.argv[1], sys.argv[2], sys.argv[3].encode(), sys.argv[4]
key, secret = os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]
token = os.environ.get("AWS_SESSION_TOKEN")
u = urllib.parse.urlsplit(url)
now = datetime.datetime.now(datetime.timezone.utc)
amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
region, service = "us-east-1", "sts"
scope = f"{day}/{region}/{service}/aws4_request"
h = lambda k, m: hmac.new(k, m.encode(), hashlib.sha256).digest()
k = h(h(h(h(("AWS4" + secret).encode(), day), region), service), "aws4_request")
enc = lambda s: urllib.parse.quote(s, safe="-_.~")

if mode == "presigned":
    q = {"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": f"{key}/{scope}",
         "X-Amz-Date": amz_date, "X-Amz-Expires": "60", "X-Amz-SignedHeaders": "host"}
    cq = "&".join(f"{enc(a)}={enc(b)}" for a, b in sorted(q.items()))
    creq = f"{method}\n{u.path}\n{cq}\nhost:{u.netloc}\n\nhost\nUNSIGNED-PAYLOAD"
    sts = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    url = f"{url}?{cq}&X-Amz-Signature={hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()}"
    headers = {}
else:
    payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" if mode == "streaming" else hashlib.sha256(body).hexdigest()
    headers = {"host": u.netloc, "x-amz-date": amz_date, "x-amz-content-sha256": payload,
               "content-type": "application/x-www-form-urlencoded"}
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(headers)
    creq = "\n".join([method, u.path or "/", "", "".join(f"{n}:{headers[n]}\n" for n in names), ";".join(names), payload])
    sts = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(creq.encode()).hexdigest()}"
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    del headers["host"]
req = urllib.request.Request(url, data=body if method == "POST" else None, method=method, headers=headers)
try:
    with urllib.request.urlopen(req, timeout=8) as r:
        print(f"status={r.status}")
except urllib.error.HTTPError as e:
    print(f"status={e.code}")
except Exception as e:
    print(f"error={e}")
