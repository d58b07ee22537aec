"""A GPT-2 style byte-level BPE tokenizer trained here on a few sentences (no
network), for the parity tests that need one: the tokenizer's
(tests/engine/tokenizer/hf_reference.py) and generation's
(tests/hf/hf_reference.py). <|endoftext|> is its one special token."""
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers


def train_byte_level_bpe(corpus, vocab_size):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=1, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer)
    return tok
