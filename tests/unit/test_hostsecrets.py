"""Secret values on a Docker host (pure parts): which variables, the file the wrapper sources, what
the wrapper runs, and a secret written where the engine would store it refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core.deploy.hostdeploy import plan_host_deploy
from core.deploy.hostsecrets import WRAPPER, env_file, split_secrets, wrapped
from core.deploy.plans import load_entry
from core.errors import InvalidInput

TOKEN = "s3cr3t-Token-value-9f8e7d"


def test_secret_variables_and_the_ones_holding_a_secret_value() -> None:
    plain, secret = split_secrets(
        {"MODE": "plain", "API_TOKEN": TOKEN, "URL": f"https://x/?t={TOKEN}", "UNSET": None}
    )
    assert plain == {"MODE": "plain"}
    assert secret == {"API_TOKEN": TOKEN, "URL": f"https://x/?t={TOKEN}"}


def test_env_file_round_trips_through_sh(tmp_path: Path) -> None:
    tricky = 'it\'s $HOME `id` "q" \\ end'
    (tmp_path / "env").write_bytes(env_file({"A_TOKEN": tricky}))
    out = subprocess.run(
        ["sh", "-c", f'. {tmp_path}/env; printf %s "$A_TOKEN"'], capture_output=True, text=True, check=True
    )
    assert out.stdout == tricky
    with pytest.raises(InvalidInput, match="cannot be passed through the shell wrapper"):
        env_file({"not a name": "x"})


@pytest.mark.parametrize(
    ("entrypoint", "command", "image", "runs"),
    [
        (None, None, {"Entrypoint": ["/init"], "Cmd": ["serve"]}, ["/init", "serve"]),
        (None, ["other"], {"Entrypoint": ["/init"], "Cmd": ["serve"]}, ["/init", "other"]),
        (["/bin/app"], None, {"Entrypoint": ["/init"], "Cmd": ["serve"]}, ["/bin/app"]),  # Cmd reset
        (["/bin/app"], ["-v"], {}, ["/bin/app", "-v"]),
    ],
)
def test_the_wrapper_runs_what_the_container_would(
    entrypoint: list[str] | None, command: list[str] | None, image: dict[str, list[str]], runs: list[str]
) -> None:
    assert wrapped(entrypoint, command, image) == (["/bin/sh", "-c", WRAPPER, "sh"], runs)


def test_a_secret_written_into_the_command_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        "services:\n  app:\n    image: busybox\n"
        '    command: ["sh", "-c", "serve --token ${API_TOKEN}"]\n'
        "    environment:\n      API_TOKEN: ${API_TOKEN}\n"
    )
    entry = load_entry([tmp_path], "app:app")
    with pytest.raises(InvalidInput, match="API_TOKEN is written into its command") as caught:
        plan_host_deploy(entry, scan=None, typed={"API_TOKEN": TOKEN}, digest=lambda b: "d")
    assert TOKEN not in str(caught.value) and "$API_TOKEN" in (caught.value.hint or "")
    fine = plan_host_deploy(entry, scan=None, typed={"API_TOKEN": "x"}, digest=lambda b: "d")
    assert fine.config["environment"] == {} and fine.secrets == {"API_TOKEN": "x"}  # too short to hunt
