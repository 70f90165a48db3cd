"""BibTeX strings shared by several losses (each loss's `citation` property picks from these)."""

from __future__ import annotations

INFONCE = """
@misc{oord2019representationlearningcontrastivepredictive,
      title={Representation Learning with Contrastive Predictive Coding},
      author={Aaron van den Oord and Yazhe Li and Oriol Vinyals},
      year={2019},
      eprint={1807.03748},
      archivePrefix={arXiv},
      primaryClass={cs.LG},
      url={https://arxiv.org/abs/1807.03748},
}
"""

ADDITIVE_MARGIN = """
@article{wang2018additive,
      title={Additive Margin Softmax for Face Verification},
      author={Feng Wang and Jian Cheng and Weiyang Liu and Haijun Liu},
      journal={IEEE Signal Processing Letters},
      year={2018},
      eprint={1801.05599},
      archivePrefix={arXiv},
      url={https://arxiv.org/abs/1801.05599},
}
"""

GRADCACHE = """
@misc{gao2021scaling,
    title={Scaling Deep Contrastive Learning Batch Size under Memory Limited Setup},
    author={Luyu Gao and Yunyi Zhang and Jiawei Han and Jamie Callan},
    year={2021},
    eprint={2101.06983},
    archivePrefix={arXiv},
    primaryClass={cs.LG}
}
"""

COSENT = """
@article{10531646,
    author={Huang, Xiang and Peng, Hao and Zou, Dongcheng and Liu, Zhiwei and Li, Jianxin and Liu, Kay and Wu, Jia and Su, Jianlin and Yu, Philip S.},
    journal={IEEE/ACM Transactions on Audio, Speech, and Language Processing},
    title={CoSENT: Consistent Sentence Embedding via Similarity Ranking},
    year={2024},
    doi={10.1109/TASLP.2024.3402087}
}
"""  # noqa: E501

EMBEDDING_TRAINING = """
@misc{embeddingtraining2025,
    title={embedding-training: train, evaluate and analyze sentence transformers for paraphrase mining},
    author={rodrigocaus},
    year={2025},
    howpublished={\\url{https://github.com/rodrigocaus/embedding-training}},
}
"""

DISTILLATION = """
@misc{lin2020distillingdenserepresentationsranking,
      title={Distilling Dense Representations for Ranking using Tightly-Coupled Teachers},
      author={Sheng-Chieh Lin and Jheng-Hong Yang and Jimmy Lin},
      year={2020},
      eprint={2010.11386},
      archivePrefix={arXiv},
      primaryClass={cs.IR},
      url={https://arxiv.org/abs/2010.11386},
}
"""

VARIANCE_PENALTY = """
@inproceedings{lee2025similarities,
    title={On the Similarities of Embeddings in Contrastive Learning},
    author={Chungpa Lee and Sehee Lim and Kibok Lee and Jy-yong Sohn},
    booktitle={International Conference on Machine Learning (ICML)},
    year={2025},
    eprint={2506.09781},
    archivePrefix={arXiv},
    url={https://arxiv.org/abs/2506.09781},
}
"""


def join(*citations: str) -> str:
    """Concatenate distinct citations, keeping their order."""
    return "".join(dict.fromkeys(c for c in citations if c))
