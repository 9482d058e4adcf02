"""The model registry agrees with the config: one section per model, ablation switches
that exist, objectives where the model declares them."""

from __future__ import annotations

import pytest

from artgan.config import MODEL_SECTIONS
from artgan.errors import ArtganError
from artgan.experiments import ablate_variants, parse_variant
from artgan.models import MODELS, all_ablations, get_model
from artgan.models.migan import MIGANObjective


def test_one_config_section_per_registered_model():
    sections = {cls.model_fields["name"].default: cls for cls in MODEL_SECTIONS}
    assert set(sections) == set(MODELS.names())
    for spec in MODELS:
        fields = sections[spec.name].model_fields
        for ablation in spec.ablations:  # a switch is a bool of that model's section, on
            assert fields[ablation.field].annotation is bool, ablation
            assert fields[ablation.field].default is True, ablation


def test_duplicate_and_unknown_names():
    with pytest.raises(ValueError, match="model 'dcgan' registered twice"):
        MODELS.register(get_model("dcgan"))
    with pytest.raises(ArtganError, match=r"unknown model 'nope' \(available: dcgan, .*migan"):
        get_model("nope")


def test_objectives_and_ablations_come_from_the_spec():
    assert get_model("migan").objective is MIGANObjective
    assert get_model("dcgan").objective is None and get_model("sagan").objective is None
    assert {"ams", "eca", "sa", "sft"} <= set(all_ablations())  # migan's (Table 1)
    assert ablate_variants("migan") == ["migan", "migan-no-ams", "migan-no-sft", "migan-no-sa",
                                        "migan-no-eca"]  # fmt: skip
    assert ablate_variants("migan+lean+proj") == [
        "migan+lean+proj", "migan-no-ams+lean+proj", "migan-no-sft+lean+proj",
        "migan-no-sa+lean+proj", "migan-no-eca+lean+proj"]  # fmt: skip
    with pytest.raises(ArtganError, match=r"unknown option '\+nope'"):
        ablate_variants("migan+nope")
    with pytest.raises(ArtganError, match="give the full model to ablate, not 'migan-no-sa'"):
        ablate_variants("migan-no-sa")
    assert parse_variant("migan-no-sa-no-eca") == ("migan", {"use_sa": False, "use_eca": False})
    with pytest.raises(ArtganError, match="model 'dcgan' has no ablation 'ams'"):
        parse_variant("dcgan-no-ams")
