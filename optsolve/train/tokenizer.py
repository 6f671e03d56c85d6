"""The embedded model's tokenizer: a byte-level BPE fitted to problem texts and compact formulations.

Byte-level, so no text is ever out of vocabulary; lower-cased, so the vocabulary is spent on words
rather than their capitalisations; placeholders (``<n3>``), variable slots (``<v0>``) and the compact
language's keywords are single special tokens that swallow the spaces around them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from optsolve.train.compact import special_tokens
from optsolve.train.numbers import MAX_PLACEHOLDERS

PAD, BOS, EOS, SEP = "<pad>", "<s>", "</s>", "<sep>"


def fit_tokenizer(texts: Iterable[str], vocab_size: int = 4096) -> Any:
    """A ``transformers.PreTrainedTokenizerFast`` fitted to ``texts``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    specials = [PAD, BOS, EOS] + [t for t in special_tokens(MAX_PLACEHOLDERS) if t != SEP] + [SEP]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        special_tokens=[AddedToken(t, lstrip=True, rstrip=False, special=True) for t in specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token=PAD, bos_token=BOS, eos_token=EOS,
                                   model_max_length=1024)


def load_tokenizer(path: str | Path) -> Any:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(path))
