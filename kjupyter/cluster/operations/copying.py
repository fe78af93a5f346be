"""`cp`: files to and from a pod's container, as `kubectl cp`: tar over exec.

To a pod: the local file or directory is packed under the destination's name and unpacked
by the container's `tar` in the destination's directory (the container needs `tar`, as for
kubectl). From a pod: the container's `tar` packs the source; it is unpacked here under the
local destination's name, through tarfile's `data` filter: what a pod sends is not trusted,
so no member may land outside the destination, be a device, or carry set-id bits.
"""

from __future__ import annotations

import io
import posixpath
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kjupyter.cluster.operations import execution
from kjupyter.cluster.paths import Location
from kjupyter.errors import ApiError, BadArgument, CommandFailed

if TYPE_CHECKING:
    from kjupyter.cluster.handle import ClusterHandle as Cluster

CHUNK = 256 * 1024  # bytes per stdin frame


@dataclass(frozen=True)
class Copied:
    """What a cp moved: from where to where, how many files and bytes."""

    source: str
    destination: str
    files: int
    size: int

    def __repr__(self) -> str:
        return f"{self.source} -> {self.destination} ({self.files} files, {self.size} bytes)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def _exec(
    cluster: Cluster,
    pod: Location,
    argv: list[str],
    container: str | None,
    stdin: bytes | None = None,
) -> bytes:
    """Run `argv` in the container with binary stdin/stdout; stdout, or `CommandFailed`."""
    namespace, name, from_path = execution.pod_target(pod)
    container = container or from_path or execution.pick_container(cluster, namespace, name)
    client = execution.open_exec(
        cluster, pod, argv, container=container, stdin=stdin is not None, binary=True
    )
    out, err = io.BytesIO(), io.BytesIO()
    try:
        if stdin is not None:
            for start in range(0, len(stdin), CHUNK):
                client.write_channel(execution.STDIN, stdin[start : start + CHUNK])
                client.update(timeout=0)
                out.write(client.read_channel(execution.STDOUT))
                err.write(client.read_channel(execution.STDERR))
            client.close_channel(execution.STDIN)
        while client.is_open():
            client.update(timeout=0.5)
            out.write(client.read_channel(execution.STDOUT))
            err.write(client.read_channel(execution.STDERR))
        out.write(client.read_channel(execution.STDOUT))
        err.write(client.read_channel(execution.STDERR))
        try:
            code = execution.exit_code(client)
        except ApiError as failed:
            raise CommandFailed(
                f"cp: {argv[0]} could not run in pods/{name} (cp needs tar in the container, "
                f"as kubectl cp does): {failed}"
            ) from None
    finally:
        client.close()
    if code:
        said = " ".join(err.getvalue().decode("utf-8", "replace").split())[:300]
        raise CommandFailed(f"cp: tar in pods/{name} exited {code}: {said}", code)
    return out.getvalue()


def to_pod(
    cluster: Cluster, local: str, pod: Location, remote: str, *, container: str | None = None
) -> Copied:
    """Copy a local file or directory to `remote` in the pod (its name becomes remote's)."""
    source = Path(local).expanduser()
    if not source.exists():
        raise BadArgument(f"cp: no local file or directory {local}")
    remote = remote.rstrip("/") or "/"
    directory, name = posixpath.split(remote)
    if not name or name in (".", ".."):
        directory, name = remote, source.name  # `pod:/tmp/`: keep the local name
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w") as archive:
        archive.add(str(source), arcname=name)
        files = sum(1 for member in archive.getmembers() if member.isfile())
    data = packed.getvalue()
    _exec(cluster, pod, ["tar", "-xmf", "-", "-C", directory or "."], container, stdin=data)
    size = sum(f.stat().st_size for f in [source, *source.rglob("*")] if f.is_file())
    return Copied(local, f"{pod.path}:{posixpath.join(directory, name)}", files, size)


def from_pod(
    cluster: Cluster, pod: Location, remote: str, local: str, *, container: str | None = None
) -> Copied:
    """Copy `remote` (a file or directory in the pod) to `local` (it takes local's name)."""
    remote = remote.rstrip("/") or "/"
    directory, name = posixpath.split(remote)
    if not name:
        raise BadArgument("cp: name a file or directory in the pod, not /")
    data = _exec(cluster, pod, ["tar", "-cf", "-", "-C", directory or ".", name], container)
    target = Path(local).expanduser()
    if target.is_dir():
        target = target / name  # `cp pod:/etc/hosts ./`: into the directory, its own name
    members = unpack(data, name, target, f"pods/{pod.name}")
    files = [m for m in members if m.isfile()]
    return Copied(f"{pod.path}:{remote}", str(target), len(files), sum(m.size for m in files))


def unpack(data: bytes, name: str, target: Path, sender: str) -> list[tarfile.TarInfo]:
    """Unpack a tar stream whose one top entry is `name` as `target`; its members.

    Untrusted: a member outside `name`, or one the `data` filter refuses (absolute, `..`,
    a link out, a device), stops it with one line.
    """
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115 (with below)
    except tarfile.TarError as err:
        raise ApiError(f"cp: {sender} sent no tar stream ({err})") from err
    with archive:
        members = []
        for member in archive.getmembers():
            head, _, rest = member.name.partition("/")
            if head != name:
                raise ApiError(f"cp: {sender} sent {member.name!r}, outside {name!r}")
            member.name = posixpath.join(target.name, rest) if rest else target.name
            members.append(member)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            archive.extractall(target.parent, members=members, filter="data")
        except (tarfile.TarError, OSError) as err:
            raise ApiError(f"cp: cannot unpack what {sender} sent: {err}") from err
    return members
