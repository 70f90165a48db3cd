"""What several loss files share: the base class (`base.py`), the papers they cite (`citations.py`) and the
similarity functions and Matryoshka truncation (`similarity.py`)."""
