r"""Experiments beside the claims (Section 5.2 measured, the blog's and the slides' figures).

* :mod:`.problems`: targets, data and the test loss; :mod:`.learners`: the learners and their fits;
  :mod:`.ntk`: the NTK kernel and features;
* :mod:`.curves`: learning curves as sweeps and the thresholds :math:`n_\epsilon` read off them
  (:mod:`.curve_cell`: one cell as a registered claim);
* :mod:`.slides`: the Nichani-Bai-Lee slides' experiment; :mod:`.trajectories`: the blog's Taylor trajectories.
"""
