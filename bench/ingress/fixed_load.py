#!/usr/bin/env python3
"""Sends exactly N unique webhooks (the same bodies as webhook.lua) over C
keep-alive connections, closed loop, and checks every answer.

    fixed_load.py URL SECRET_FILE N [CONNECTIONS] [NONCE]

Used by callgrind.sh, where the count of requests must be known exactly to
divide the instruction count by it. Prints "sent=N failed=F seconds=S".
"""
import os
import socket
import sys
import threading
import time
import urllib.parse

MODEL = ("Avionte.Commons.CompasEventModel.ResourceModel."
         "JobPipelineResourceModel, Avionte.Commons.CompasEventModel")


def body(nonce, thread, counter):
    correlation = "%s-%s-%s-%04x-%012x" % (nonce[:8], nonce[8:12],
                                           nonce[12:16], thread, counter)
    pipeline = (counter * 7919 + thread * 104729) % 10000 + 1
    tenant = 6 if counter % 2 else 7
    resource = ('{\\"PipelineId\\":%d,\\"CorrelationId\\":\\"%s\\"}' %
                (pipeline, correlation))
    return ('{"EventName":"job_pipeline_talent_updated",'
            '"FrontOfficeTenantId":%d,"Resource":"%s",'
            '"ResourceModelType":"%s","CorrelationId":"%s"}' %
            (tenant, resource, MODEL, correlation)).encode()


def read_answer(sock, buffered):
    while b"\r\n\r\n" not in buffered:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buffered += chunk
    head, rest = buffered.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        rest += chunk
    status = int(head.split(b" ", 2)[1])
    return status, rest[:length], rest[length:]


def main():
    url, secret_file, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 16
    nonce = sys.argv[5] if len(sys.argv) > 5 else "%016x" % int(
        time.time() * 1e6)
    secret = open(secret_file).read().strip()
    parts = urllib.parse.urlsplit(url)
    failed = [0]
    lock = threading.Lock()

    def worker(thread, count):
        sock = socket.create_connection((parts.hostname, parts.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffered = b""
        for counter in range(1, count + 1):
            payload = body(nonce, thread, counter)
            sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         b"Content-Type: application/json\r\n"
                         b"X-Payload-Signature: %s\r\n"
                         b"Content-Length: %d\r\n\r\n%s" %
                         (parts.path.encode(), secret.encode(), len(payload),
                          payload))
            status, answer, buffered = read_answer(sock, buffered)
            if status != 200 or answer != b'{"status":"accepted"}':
                with lock:
                    failed[0] += 1
        sock.close()

    started = time.time()
    threads = []
    for t in range(connections):
        share = total // connections + (1 if t < total % connections else 0)
        threads.append(threading.Thread(target=worker, args=(t + 1, share)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("sent=%d failed=%d seconds=%.2f" %
          (total, failed[0], time.time() - started))
    return 1 if failed[0] else 0


if __name__ == "__main__":
    sys.exit(main())
