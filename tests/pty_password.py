"""Runs a command on a pseudo-terminal, answers its password prompts, and
prints everything the terminal showed (as JSON), so a test can check that
the password was never echoed. Usage: pty_password.py PASSWORD CMD ARGS..."""
import json
import os
import pty
import select
import sys
import termios
import time

password, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
shown = b""
answered = 0
deadline = time.time() + 30
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if ready:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
        prompts = shown.count(b"Password: ") + shown.count(b"Again: ")
        while answered < prompts:
            # As a person would: once the prompt is up. Wait (up to 3 s)
            # for the program to turn the echo off, which it does right
            # after printing the prompt; if it never does, the echo shows.
            until = time.time() + 3
            while time.time() < until and termios.tcgetattr(fd)[3] & termios.ECHO:
                time.sleep(0.02)
            os.write(fd, password.encode() + b"\n")
            answered += 1
_, status = os.waitpid(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "shown": shown.decode("utf-8", "replace")}))
