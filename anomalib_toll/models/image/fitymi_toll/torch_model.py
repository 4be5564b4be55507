# Copyright (C) 2026 anomalib-toll contributors
# SPDX-License-Identifier: Apache-2.0
"""PyTorch model of FITYMI+Toll: a timm ViT, its loss, and kNN scoring over a feature bank.

Training classifies normal (0) against fake (1) images with cross-entropy; FITYMI+Toll
adds ``collapse_weight`` times the mean distance of the batch's normal embeddings to
their batch mean (the core's ``collapse_distance``). Scoring ignores the classifier: an
image's score is the sum of squared L2 distances from its embedding (the CLS token after
the final LayerNorm) to its ``k`` nearest neighbours among the normal training images'.

Example:
    >>> import torch
    >>> tiny = {"patch_size": 8, "embed_dim": 32, "depth": 2, "num_heads": 2}
    >>> model = FitymiTollModel("vit_tiny_patch16_224", pre_trained=False, image_size=32,
    ...                         frozen_blocks=1, backbone_kwargs=tiny)
    >>> embeddings, logits = model(torch.rand(4, 3, 32, 32))
    >>> model.set_feature_bank(embeddings.detach())
    >>> model.eval()(torch.rand(2, 3, 32, 32)).pred_score.shape
    torch.Size([2])

Paper:
    Fake It Till You Make It: Towards Accurate Near-Distribution Novelty Detection
    (Mirzaei et al., ICLR 2023); Targeted collapse regularized autoencoder for anomaly
    detection: black hole at the center (Ghafourian et al.), Sec. 4.1.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import timm
import torch
from anomalib.data import InferenceBatch
from timm.layers import Mlp
from torch import Tensor, nn
from torch.nn import functional as F  # noqa: N812

from anomalib_toll.core import collapse_distance, parse_norm
from anomalib_toll.core.checks import check_number, check_positive_int

if TYPE_CHECKING:
    from timm.models import PretrainedCfg, VisionTransformer

DEFAULT_BACKBONE = "vit_base_patch16_224.orig_in21k"
# The paper gives no weight for the collapse term. Measured on ViT-B/16 at 224 px (random
# weights, 8 + 8 images): at weight 1 its gradient on the trainable weights is ~7× the
# cross-entropy's, at 0.1 ~0.7× (docs/results.md, "FITYMI+Toll: the collapse weight").
DEFAULT_COLLAPSE_WEIGHT = 0.1
GOOGLE_VIT_B16 = "https://storage.googleapis.com/vit_models/imagenet21k/ViT-B_16.npz"
HUB_PROBE_TIMEOUT = 3.0  # seconds; only spent when no weights are given or cached
QUERY_CHUNK = 1024
BANK_CHUNK = 8192


def knn_score(
    queries: Tensor, bank: Tensor, k: int = 2, query_chunk: int = QUERY_CHUNK, bank_chunk: int = BANK_CHUNK,
) -> Tensor:
    """Sum of squared L2 distances from each query to its ``k`` nearest bank rows.

    Memory stays at ``query_chunk × bank_chunk`` distances however large the bank: the
    queries are scored chunk by chunk, and each chunk walks the bank in chunks keeping a
    running top-k.

    Args:
        queries: ``(N, D)`` embeddings to score.
        bank: ``(M, D)`` embeddings of the normal training images.
        k: Neighbours summed; capped at ``M``. Defaults to ``2``.
        query_chunk: Queries per chunk. Defaults to ``1024``.
        bank_chunk: Bank rows per chunk. Defaults to ``8192``.

    Returns:
        Scores of shape ``(N,)``; larger means more anomalous.
    """
    if len(bank) == 0:
        msg = "the feature bank is empty: train the model (or call set_feature_bank) before scoring."
        raise RuntimeError(msg)
    k = min(k, len(bank))
    queries, bank = queries.float(), bank.float().to(queries.device)
    scores = []
    for q in queries.split(query_chunk):
        nearest = q.new_full((len(q), k), float("inf"))
        for b in bank.split(bank_chunk):
            distances = torch.cdist(q, b).square()
            nearest = torch.cat([nearest, distances], dim=1).topk(k, dim=1, largest=False).values
        scores.append(nearest.sum(dim=1))
    return torch.cat(scores) if scores else queries.new_zeros(0)


def collapse_term(embeddings: Tensor, labels: Tensor, norm: int | str = 2) -> Tensor:
    """Mean distance of the normal (label 0) embeddings to their batch mean; fakes do not enter.

    A batch with fewer than 2 normal samples contributes 0: one embedding is its own mean,
    and FITYMI's shuffled batches can hold none.
    """
    normal = embeddings[labels == 0]
    if len(normal) < 2:
        return embeddings.new_zeros(())
    return collapse_distance(normal, norm=norm, target="batch_mean").mean()


def loss_terms(logits: Tensor, embeddings: Tensor, labels: Tensor, norm: int | str = 2) -> tuple[Tensor, Tensor]:
    """The two terms of the loss, unweighted: cross-entropy over normal/fake and :func:`collapse_term`."""
    return F.cross_entropy(logits.float(), labels), collapse_term(embeddings, labels, norm)


def _offline() -> bool:
    flag = os.environ.get("HF_HUB_OFFLINE", "")
    return flag.strip().lower() in {"1", "true", "yes", "on"}


def _cached(cfg: PretrainedCfg | None) -> bool:
    """Whether timm would find the weights of ``cfg`` without the network."""
    hub_id, url = getattr(cfg, "hf_hub_id", None), getattr(cfg, "url", None)
    if hub_id:
        from huggingface_hub import try_to_load_from_cache

        names = [getattr(cfg, "hf_hub_filename", None), "model.safetensors", "pytorch_model.bin"]
        return any(isinstance(try_to_load_from_cache(hub_id, name), str) for name in names if name)
    if url:
        return (Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name).is_file()
    return False


def _reachable(url: str, timeout: float = HUB_PROBE_TIMEOUT) -> bool:
    try:
        urllib.request.urlopen(url, timeout=timeout).close()  # noqa: S310 (https URL from timm's config)
    except urllib.error.HTTPError:
        return True  # the server answered
    except (OSError, ValueError):
        return False
    return True


def how_to_get_weights(backbone: str) -> str:
    """What to download and how to pass it, for the error raised when weights are missing."""
    cfg = timm.models.get_pretrained_cfg(backbone)
    hub_id = getattr(cfg, "hf_hub_id", None)
    sources = [f"https://huggingface.co/{hub_id} (model.safetensors)"] if hub_id else []
    url = getattr(cfg, "url", None)
    if url and isinstance(url, str):
        sources.append(url)
    if backbone == DEFAULT_BACKBONE:
        sources.append(f"{GOOGLE_VIT_B16} (the file FITYMI used)")
    where = "; ".join(sources) or "the model's page on huggingface.co/timm"
    return (
        f"Download the checkpoint on a machine with internet ({where}) and pass its path as "
        "weights_file (CLI: --model.weights_file PATH; .safetensors, .pth or .npz), "
        "or pass pre_trained=False for a randomly initialised ViT."
    )


def resolve_weights(backbone: str, weights_file: str | os.PathLike | None) -> str | None:
    """The local weights file to load, or ``None`` to let timm load from its cache or the hub.

    Raises immediately, instead of after timm's long download attempt, when there is
    nothing to load from: no file given, nothing cached, and the hub unreachable or
    ``HF_HUB_OFFLINE`` set.

    Raises:
        FileNotFoundError: the file is missing, or no weights can be found; the message
            says where to download them and how to pass them.
        PermissionError: the file cannot be read.
    """
    if weights_file is not None:
        path = Path(weights_file).expanduser()
        if not path.is_file():
            msg = f"weights_file {str(path)!r} does not exist. {how_to_get_weights(backbone)}"
            raise FileNotFoundError(msg)
        if not os.access(path, os.R_OK):
            msg = f"weights_file {str(path)!r} is not readable: fix its permissions."
            raise PermissionError(msg)
        return str(path)
    cfg = timm.models.get_pretrained_cfg(backbone)
    if _cached(cfg):
        return None
    probe = "https://huggingface.co" if getattr(cfg, "hf_hub_id", None) else getattr(cfg, "url", None)
    if _offline() or not probe or not _reachable(probe):
        state = "HF_HUB_OFFLINE is set" if _offline() else "the download site is unreachable"
        msg = (
            f"No weights for {backbone!r}: no weights_file given, none cached, and {state}. "
            f"{how_to_get_weights(backbone)}"
        )
        raise FileNotFoundError(msg)
    return None


def create_backbone(
    backbone: str = DEFAULT_BACKBONE,
    weights_file: str | os.PathLike | None = None,
    pre_trained: bool = True,
    image_size: int = 224,
    dropout: float = 0.1,
    backbone_kwargs: dict[str, Any] | None = None,
) -> VisionTransformer:
    """A timm ViT with a 2-class head, FITYMI's dropout, and pretrained weights if asked.

    Dropout as in FITYMI: after the position embedding and in each MLP, none in attention
    or before the head. (timm's ``drop_rate`` is the head's dropout and its
    ``proj_drop_rate`` also sets the attention projection's, so the MLP rates are set on
    the modules.) A pretrained head never matches two classes: timm drops it and the new
    ``Linear(D, 2)`` is randomly initialised.

    Args:
        backbone: timm model name. Defaults to ``"vit_base_patch16_224.orig_in21k"``.
        weights_file: Local ``.safetensors``, ``.pth`` or ``.npz`` (Google's format);
            unused when ``pre_trained`` is ``False``. Defaults to ``None`` (timm's cache or the hub).
        pre_trained: Load pretrained weights. Defaults to ``True``.
        image_size: Input size; position embeddings are resampled to it. Defaults to ``224``.
        dropout: Dropout rate of the embeddings and MLPs. Defaults to ``0.1``.
        backbone_kwargs: More ``timm.create_model`` arguments (e.g. ``depth``). Defaults to ``None``.
    """
    kwargs: dict[str, Any] = {
        "img_size": image_size, "global_pool": "token", "pos_drop_rate": dropout, "drop_rate": 0.0,
    }
    kwargs.update(backbone_kwargs or {})
    if pre_trained:
        file = resolve_weights(backbone, weights_file)
        if file is not None:
            kwargs["pretrained_cfg_overlay"] = {"file": file, "custom_load": file.endswith(".npz")}
    # timm types every model as nn.Module; FITYMI's backbones are ViTs (blocks, CLS-token head)
    vit = cast("VisionTransformer", timm.create_model(backbone, pretrained=pre_trained, num_classes=2, **kwargs))
    for module in vit.modules():
        if isinstance(module, Mlp):
            module.drop1.p = module.drop2.p = dropout
    return vit


class FitymiTollModel(nn.Module):
    """ViT classifier of normal vs. fake images; kNN distance to the normal bank as the score.

    Args:
        backbone: timm ViT name. Defaults to ``"vit_base_patch16_224.orig_in21k"``.
        weights_file: Local weights file. Defaults to ``None``.
        pre_trained: Load pretrained weights. Defaults to ``True``.
        frozen_blocks: Leading encoder blocks kept frozen (embeddings, later blocks, final
            norm and head train). Defaults to ``6``.
        image_size: Input size. Defaults to ``224``.
        k: Nearest neighbours in the score. Defaults to ``2``.
        collapse_weight: Weight of the collapse term; ``0`` is plain FITYMI. Defaults to ``0.1`` (docs/results.md).
        norm: Norm of the collapse term, 1, 2 or "inf". Defaults to ``2``.
        dropout: Embedding and MLP dropout. Defaults to ``0.1``.
        backbone_kwargs: More ``timm.create_model`` arguments. Defaults to ``None``.
    """

    def __init__(
        self,
        backbone: str = DEFAULT_BACKBONE,
        weights_file: str | os.PathLike | None = None,
        pre_trained: bool = True,
        frozen_blocks: int = 6,
        image_size: int = 224,
        k: int = 2,
        collapse_weight: float = DEFAULT_COLLAPSE_WEIGHT,
        norm: int | str = 2,
        dropout: float = 0.1,
        backbone_kwargs: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        collapse_weight = check_number("collapse_weight", collapse_weight, minimum=0.0)
        k = check_positive_int("k", k)
        parse_norm(norm)  # before the ViT is built: Toll's own check of the norm
        self.vit = create_backbone(backbone, weights_file, pre_trained, image_size, dropout, backbone_kwargs)
        if not 0 <= frozen_blocks <= len(self.vit.blocks):
            msg = f"frozen_blocks must be in 0..{len(self.vit.blocks)} for {backbone}, got {frozen_blocks}."
            raise ValueError(msg)
        for block in self.vit.blocks[:frozen_blocks]:
            block.requires_grad_(requires_grad=False)
        self.k = k
        self.collapse_weight = collapse_weight
        self.norm = norm
        self.feature_bank: Tensor
        self.register_buffer("feature_bank", torch.empty(0))

    def embed(self, images: Tensor) -> Tensor:
        """CLS token after the final LayerNorm, ``(N, D)``."""
        return self.vit.forward_head(self.vit.forward_features(images), pre_logits=True)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor] | InferenceBatch:
        """``(embeddings, logits)`` in training; the kNN score in eval mode."""
        embeddings = self.embed(images)
        if self.training:
            return embeddings, self.vit.get_classifier()(embeddings)
        return InferenceBatch(pred_score=knn_score(embeddings, self.feature_bank, self.k))

    def loss_terms(self, images: Tensor, labels: Tensor) -> tuple[Tensor, Tensor]:
        """Cross-entropy and the unweighted collapse term of a batch of normal (0) and fake (1) images."""
        embeddings = self.embed(images)
        return loss_terms(self.vit.get_classifier()(embeddings), embeddings, labels, self.norm)

    def set_feature_bank(self, embeddings: Tensor) -> None:
        """Store the normal training images' embeddings, ``(M, D)``, as the kNN bank."""
        self.feature_bank = embeddings.detach().float().to(self.feature_bank.device)

    def _load_from_state_dict(self, state_dict: dict[str, Tensor], prefix: str, *args, **kwargs) -> None:
        """Take the bank's size from the checkpoint (it is empty until fitted)."""
        bank = state_dict.get(f"{prefix}feature_bank")
        if bank is not None:
            self.feature_bank = torch.empty_like(bank, device=self.feature_bank.device)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
