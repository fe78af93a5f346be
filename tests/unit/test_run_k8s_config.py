"""Backend defaults from IPython config, in a real IPython shell with no cluster."""

from __future__ import annotations

from dataclasses import fields

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from kjupyter.run.k8s import config, options


@pytest.fixture
def shell():
    ip = InteractiveShell.instance()  # the one shell class every test folder uses
    ip.run_line_magic("load_ext", "kjupyter")
    yield ip
    ip.config.pop("Kjupyter", None)  # the shell is shared: leave no config behind


def test_every_pod_option_is_configurable():
    assert set(config.Kjupyter.class_trait_names(config=True)) == {
        f.name for f in fields(options.PodOptions)
    }


def test_a_config_file_sets_defaults_and_arguments_win(shell, tmp_path, monkeypatch):
    (tmp_path / "ipython_config.py").write_text(
        "c = get_config()\n"
        "c.Kjupyter.image = 'registry.local/team/worker:1'\n"
        "c.Kjupyter.namespace = 'ml'\n"
        "c.Kjupyter.cpu = '2'\n"
        "c.Kjupyter.node_selector = {'pool': 'gpu'}\n"
        "c.Kjupyter.tolerations = ['gpu=yes:NoSchedule']\n"
        "c.Kjupyter.idle_timeout = 30.0\n"
    )
    shell.update_config(PyFileConfigLoader("ipython_config.py", str(tmp_path)).load_config())
    for name in ("KJUPYTER_IMAGE", "KJUPYTER_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    got = options.resolve()
    assert got.image == "registry.local/team/worker:1"
    assert (got.namespace, got.cpu, got.idle_timeout) == ("ml", "2", 30.0)
    assert got.node_selector == (("pool", "gpu"),)
    assert got.tolerations == ("gpu=yes:NoSchedule",)
    assert options.resolve(image="other:2", k8s_namespace="dev").image == "other:2"
    assert options.resolve(k8s_namespace="dev").namespace == "dev"


def test_config_wins_over_the_environment_which_fills_the_rest(shell, monkeypatch):
    monkeypatch.setenv("KJUPYTER_IMAGE", "from-env:1")
    monkeypatch.setenv("KJUPYTER_MEMORY", "1Gi")
    assert options.resolve().image == "from-env:1"  # no config yet: the environment
    cfg = Config()
    cfg.Kjupyter.image = "from-config:1"
    shell.update_config(cfg)
    got = options.resolve()
    assert (got.image, got.memory) == ("from-config:1", "1Gi")


def test_percent_config_sets_a_default_at_run_time(shell, monkeypatch, capsys):
    monkeypatch.delenv("KJUPYTER_WORKERS", raising=False)
    assert options.resolve().workers == 4
    shell.run_line_magic("config", "Kjupyter.workers = 8")
    shell.run_line_magic("config", "Kjupyter.memory = '4Gi'")
    got = options.resolve()
    assert (got.workers, got.memory) == (8, "4Gi")
    shell.run_line_magic("config", "Kjupyter")  # lists the options, with their help
    assert "Kjupyter.image" in capsys.readouterr().out


def test_bad_configured_values_are_refused_by_name(shell):
    cfg = Config()
    cfg.Kjupyter.reach = "carrier-pigeon"
    shell.update_config(cfg)
    with pytest.raises(Exception, match="reach must be one of"):
        options.resolve()


def test_no_shell_means_no_config():
    assert config.configured(shell=object()) == {}
