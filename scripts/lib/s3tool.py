"""Small S3 helpers for the object-store rehearsal and benchmarks (scripts/rehearse-deploy.sh
MODE=object-store, bench/store-switch.sh). Run with the moto venv's python (boto3):

  s3tool.py bucket ENDPOINT BUCKET            create a bucket
  s3tool.py relay LISTEN_PORT TARGET_PORT     a TCP relay on 127.0.0.1 (kill it: the store is
                                              unreachable, connections refused; moto keeps
                                              its objects)
  s3tool.py watch ENDPOINT BUCKET PREFIX OUT  polls PREFIX/current every 50 ms; for every new
                                              pointer appends `<model-id> <t_before> <t_seen>`
                                              to OUT: the pointer was written after t_before
                                              (the start of the last poll that saw the old
                                              one) and before t_seen (Unix seconds)
  s3tool.py put ENDPOINT BUCKET KEY FILE      uploads FILE to KEY

Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION from the environment.
"""

import asyncio
import os
import sys
import time


def client(endpoint):
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
    )


def bucket(endpoint, name):
    client(endpoint).create_bucket(Bucket=name)


def relay(listen_port, target_port):
    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port, reuse_address=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def watch(endpoint, name, prefix, out):
    from botocore.exceptions import ClientError

    s3 = client(endpoint)
    key = f"{prefix}/current" if prefix else "current"
    seen = None
    before = time.time()
    while True:
        started = time.time()
        try:
            text = s3.get_object(Bucket=name, Key=key)["Body"].read().decode().strip()
        except ClientError:
            text = None
        except Exception:  # the endpoint is down: try again
            time.sleep(0.2)
            continue
        now = time.time()
        if text != seen and text is not None:
            model = text.removeprefix("models/").removesuffix(".segue")
            with open(out, "a") as f:
                f.write(f"{model} {before:.3f} {now:.3f}\n")
            seen = text
        before = started
        time.sleep(0.05)


def put(endpoint, name, key, path):
    client(endpoint).upload_file(path, name, key)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "bucket":
        bucket(*args)
    elif command == "relay":
        relay(int(args[0]), int(args[1]))
    elif command == "watch":
        watch(*args)
    elif command == "put":
        put(*args)
    else:
        sys.exit(f"unknown command {command}: see the docstring")
