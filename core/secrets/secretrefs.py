"""Secret values on a container's command line and in its probes, as references to its environment.

Pure functions, no I/O. A compose file may interpolate a secret into ``command``, ``entrypoint``
or a healthcheck; Kubernetes keeps command, args and probes in the pod spec, where anyone who may
read the workload (and every saved or shared manifest) sees them. So the compiler keeps the value
in the service's Secret, which is in the container's environment, and writes a reference instead:

- **command and args**: ``$(VAR)``. The kubelet expands it from the container's environment when
  it starts the container (``env`` and ``envFrom`` alike, so a key of the Secret that ``envFrom``
  loads is enough). Every other ``$`` is escaped as ``$$``, so compose's already-interpolated
  text stays literal (``$$`` is how Kubernetes escapes its own expansion).
- **exec probes**: the kubelet does *not* expand them, so the probe runs through ``sh -c`` and the
  shell reads the variable (an exec'd probe gets the container's environment). In a
  ``CMD-SHELL`` script the value becomes ``"${VAR}"``, following the script's quoting
  (``${VAR}`` inside double quotes, ``'"${VAR}"'`` inside single quotes); a ``CMD`` list becomes
  ``sh -c 'exec ARG...'`` with every argument quoted. That needs ``/bin/sh`` in the image (as
  ``CMD-SHELL`` always did).

``refs`` map each secret value to the variable that holds it in the container; names must be
shell identifiers. Each function adds the variables it referenced to ``used``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping

Refs = Mapping[str, str]  # secret value -> the container variable that holds it
Piece = tuple[str, str | None]  # literal text, or the variable standing for a secret value

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def escape(value: str) -> str:
    """Keep Kubernetes from expanding ``$(VAR)`` in an already-interpolated compose string."""
    return value.replace("$", "$$")


def pieces(text: str, refs: Refs) -> list[Piece]:
    """``text`` cut into literal pieces and secret values (the longest value wins where several
    start at one place); empty literal pieces are left out."""
    values = sorted((v for v in refs if v and v in text), key=len, reverse=True)
    if not values:
        return [(text, None)] if text else []
    out: list[Piece] = []
    pos = 0
    for match in re.finditer("|".join(re.escape(v) for v in values), text):
        if match.start() > pos:
            out.append((text[pos : match.start()], None))
        out.append((match.group(0), refs[match.group(0)]))
        pos = match.end()
    if pos < len(text):
        out.append((text[pos:], None))
    return out


def has_secret(texts: Iterable[str], refs: Refs) -> bool:
    return any(value and value in text for text in texts for value in refs)


def k8s_arg(text: str, refs: Refs, used: set[str]) -> str:
    """A command or args entry: secret values as ``$(VAR)``, every other ``$`` escaped."""
    out: list[str] = []
    for piece, var in pieces(text, refs):
        if var is None:
            out.append(escape(piece))
        else:
            used.add(var)
            out.append(f"$({var})")
    return "".join(out)


def shell_command(argv: list[str], refs: Refs, used: set[str]) -> list[str] | None:
    """A ``CMD`` probe with secret values as ``sh -c 'exec ...'`` reading them from the environment;
    ``None`` when no argument holds a secret value (keep the plain exec form)."""
    if not has_secret(argv, refs):
        return None
    words: list[str] = []
    for arg in argv:
        word = ""
        for piece, var in pieces(arg, refs):
            if var is None:
                word += shlex.quote(piece)
            else:
                used.add(var)
                word += f'"${{{var}}}"'
        words.append(word or "''")
    return ["sh", "-c", "exec " + " ".join(words)]


# Quoting contexts of a POSIX shell script, as far as a reference needs to know them.
_PLAIN, _SINGLE, _DOUBLE, _SUBST, _PAREN, _BACKTICK = "plain", "single", "double", "subst", "paren", "tick"


class _Lexer:
    """Follows quotes, ``$(...)`` and backticks through a script, one character at a time.

    Not a full shell parser (here-documents, comments and ``$'...'`` are read as plain text), which
    is enough for the one-line healthchecks compose files have.
    """

    def __init__(self) -> None:
        self.stack = [_PLAIN]
        self.escaped = False
        self.dollar = False

    @property
    def context(self) -> str:
        return self.stack[-1]

    def feed(self, text: str) -> None:
        for ch in text:
            self._char(ch)

    def _char(self, ch: str) -> None:
        top, dollar = self.stack[-1], self.dollar
        self.dollar = False
        if self.escaped:
            self.escaped = False
            return
        if top == _SINGLE:
            if ch == "'":
                self.stack.pop()
            return
        if ch == "\\":
            self.escaped = True
        elif ch == "$":
            self.dollar = True
        elif ch == "(" and dollar:
            self.stack.append(_SUBST)
        elif ch == "`":
            if top == _BACKTICK:
                self.stack.pop()
            else:
                self.stack.append(_BACKTICK)
        elif top == _DOUBLE:
            if ch == '"':
                self.stack.pop()
        elif ch == "'":
            self.stack.append(_SINGLE)
        elif ch == '"':
            self.stack.append(_DOUBLE)
        elif ch == "(" and top in (_SUBST, _PAREN):
            self.stack.append(_PAREN)
        elif ch == ")" and top in (_SUBST, _PAREN):
            self.stack.pop()


def shell_script(script: str, refs: Refs, used: set[str]) -> str:
    """A ``CMD-SHELL`` script with each secret value read from the environment, quoted to fit.

    A backslash right before a value escaped its first character, which is now inside the
    reference: it is dropped.
    """
    parts = pieces(script, refs)
    if all(var is None for _, var in parts):
        return script
    lexer = _Lexer()
    out: list[str] = []
    for piece, var in parts:
        if var is None:
            lexer.feed(piece)
            out.append(piece)
            continue
        if lexer.escaped and out:
            out[-1] = out[-1][:-1]
            lexer.escaped = False
        lexer.dollar = False
        used.add(var)
        context = lexer.context
        if context == _SINGLE:
            out.append(f"'\"${{{var}}}\"'")
        elif context == _DOUBLE:
            out.append(f"${{{var}}}")
        else:
            out.append(f'"${{{var}}}"')
    return "".join(out)


def exec_probe(command: list[str], refs: Refs, used: set[str]) -> list[str]:
    """An exec probe command (``sh -c SCRIPT`` or an argument list) with its secret values read
    from the environment (see the module docstring); unchanged when it holds none."""
    if not has_secret(command, refs):
        return command
    if len(command) == 3 and command[0] in ("sh", "/bin/sh") and command[1] == "-c":
        return [command[0], "-c", shell_script(command[2], refs, used)]
    return shell_command(command, refs, used) or command
