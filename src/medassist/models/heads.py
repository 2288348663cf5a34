"""Pooled classification heads for text and relation classification.

``AutoModelForSequenceClassification`` classifies from the ``[CLS]`` token through BERT's pooler.
Sentence-embedding encoders such as the bundled all-MiniLM-L6-v2 were trained with *mean* pooling,
so their ``[CLS]`` vector carries little meaning, and with LoRA or adapters the frozen body can
barely reshape it (a LoRA relation model here stayed at the class prior for a whole epoch).  These
heads pool what the encoder was trained to produce:

* ``mean``: the attention-masked mean of the last hidden states (text classification);
* ``markers``: the hidden states at the first ``@`` and first ``#`` marker tokens, concatenated
  (relation classification with punctuation entity markers, Zhou & Chen 2021); a marker lost to
  truncation falls back to ``[CLS]``.

A small MLP maps the pooled vector to the classes.  Losses: cross-entropy, or binary cross-entropy
for multi-label.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers.modeling_outputs import SequenceClassifierOutput


class PooledClassifier(nn.Module):
    def __init__(self, encoder: nn.Module, num_labels: int, *, pooling: str = "mean", multi_label: bool = False,
                 marker_ids: tuple[int, int] | None = None, dropout: float = 0.1) -> None:
        super().__init__()
        if pooling not in ("mean", "markers"):
            raise ValueError(f"pooling must be mean or markers, not {pooling!r}")
        if pooling == "markers" and marker_ids is None:
            raise ValueError("markers pooling needs the token ids of the two markers")
        self.encoder = encoder
        self.config = encoder.config
        hidden = int(encoder.config.hidden_size)
        width = hidden * (2 if pooling == "markers" else 1)
        self.pooling = pooling
        self.multi_label = multi_label
        self.register_buffer("marker_ids", torch.tensor(list(marker_ids or (0, 0)), dtype=torch.long), persistent=False)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(width, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, num_labels)
        )
        self.num_labels = num_labels

    # Trainer / PEFT look for these on the model
    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def _marker_index(self, input_ids: torch.Tensor, marker: torch.Tensor) -> torch.Tensor:
        hit = input_ids == marker
        idx = hit.float().argmax(dim=1)  # first occurrence; 0 ([CLS]) when absent
        return torch.where(hit.any(dim=1), idx, torch.zeros_like(idx))

    def pool(self, hidden: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "mean":
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        rows = torch.arange(hidden.size(0), device=hidden.device)
        e1 = hidden[rows, self._marker_index(input_ids, self.marker_ids[0])]
        e2 = hidden[rows, self._marker_index(input_ids, self.marker_ids[1])]
        return torch.cat([e1, e2], dim=-1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, **kwargs) -> SequenceClassifierOutput:  # noqa: ANN003
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        kwargs.pop("num_items_in_batch", None)
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        logits = self.classifier(self.pool(hidden, input_ids, attention_mask))
        loss = None
        if labels is not None:
            if self.multi_label:
                loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
            else:
                loss = nn.functional.cross_entropy(logits, labels)
        return SequenceClassifierOutput(loss=loss, logits=logits)


def marker_token_ids(tokenizer) -> tuple[int, int]:  # noqa: ANN001
    """Token ids of the ``@`` and ``#`` entity markers (see medassist.text.mark_relation)."""
    ids = [tokenizer.convert_tokens_to_ids(t) for t in ("@", "#")]
    if any(i is None or i == tokenizer.unk_token_id for i in ids):
        raise ValueError("this tokenizer has no single token for '@' or '#'; relation markers need them")
    return ids[0], ids[1]
