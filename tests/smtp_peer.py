"""A real SMTP server (aiosmtpd) for carebell's tests.

Stores every accepted message as <dir>/<n>.eml (envelope recipients in a header line
X-Envelope-To) and answers by recipient: a local part containing "tempfail" gets 451, one
containing "reject" gets 550; for one containing "slow" the reply to DATA comes after 2 s,
for one containing "hang" after 60 s (a relay that stops answering mid-send).
Each stored message also carries X-Peer-Session: the number of the SMTP connection it came
in on (1, 2, ... in the order connections first sent a message), so tests can count the
connections a burst used.
Prints READY <port> once listening.
"""
import argparse
import asyncio
import itertools
import os
import signal

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count(len(os.listdir(directory)) + 1)
        self.sessions = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if "tempfail" in local:
            return "451 4.3.0 Mailbox busy, try again later"
        if "reject" in local:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any("hang" in r.split("@")[0] for r in envelope.rcpt_tos):
            await asyncio.sleep(60)
        if any("slow" in r.split("@")[0] for r in envelope.rcpt_tos):
            await asyncio.sleep(2)
        if not hasattr(session, "carebell_number"):
            session.carebell_number = next(self.sessions)
        n = next(self.counter)
        path = os.path.join(self.directory, f"{n:06}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(("X-Envelope-To: " + ",".join(envelope.rcpt_tos) + "\r\n").encode())
            f.write(f"X-Peer-Session: {session.carebell_number}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.replace(tmp, path)
        return "250 2.0.0 Stored as " + str(n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Handler(args.dir), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"READY {args.port}", flush=True)
    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.run_until_complete(stop.wait())
    controller.stop()


if __name__ == "__main__":
    main()
