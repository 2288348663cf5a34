"""Pooled heads: mean pooling ignores padding; marker pooling reads the hidden states at the markers."""

from __future__ import annotations

import torch
from torch import nn

from medassist.models.heads import PooledClassifier, marker_token_ids


class _Echo(nn.Module):
    """A stand-in encoder whose hidden state at position t is (token id, t): pooling is easy to check."""

    def __init__(self) -> None:
        super().__init__()
        self.config = type("C", (), {"hidden_size": 2})()

    def forward(self, input_ids, attention_mask):  # noqa: ANN001, ANN201
        pos = torch.arange(input_ids.size(1)).expand_as(input_ids).float()
        return type("O", (), {"last_hidden_state": torch.stack([input_ids.float(), pos], dim=-1)})()


def test_mean_pooling_ignores_padding():
    head = PooledClassifier(_Echo(), 3, pooling="mean")
    ids = torch.tensor([[5, 7, 0, 0]])
    mask = torch.tensor([[1, 1, 0, 0]])
    pooled = head.pool(head.encoder(ids, mask).last_hidden_state, ids, mask)
    assert pooled.tolist() == [[6.0, 0.5]]


def test_marker_pooling_reads_first_markers_and_falls_back_to_cls():
    head = PooledClassifier(_Echo(), 3, pooling="markers", marker_ids=(11, 22))
    ids = torch.tensor([[101, 9, 11, 8, 11, 22, 4], [101, 9, 8, 7, 6, 5, 4]])
    mask = torch.ones_like(ids)
    pooled = head.pool(head.encoder(ids, mask).last_hidden_state, ids, mask)
    assert pooled[0].tolist() == [11.0, 2.0, 22.0, 5.0]  # first '@' at 2, first '#' at 5
    assert pooled[1].tolist() == [101.0, 0.0, 101.0, 0.0]  # markers truncated away: [CLS]


def test_loss_single_and_multi_label():
    ids = torch.tensor([[1, 2, 3]])
    out = PooledClassifier(_Echo(), 3, pooling="mean")(ids, labels=torch.tensor([2]))
    assert out.logits.shape == (1, 3) and out.loss.item() > 0
    out = PooledClassifier(_Echo(), 3, pooling="mean", multi_label=True)(ids, labels=torch.tensor([[1.0, 0.0, 1.0]]))
    assert out.loss.item() > 0


def test_marker_ids_of_the_bundled_tokenizer(minilm_tokenizer):
    a, b = marker_token_ids(minilm_tokenizer)
    assert minilm_tokenizer.convert_ids_to_tokens([a, b]) == ["@", "#"]
