"""Child side: the trusted stand-ins the jobs drive a student's container, optimizer or
Learner with: parameters, layers, an optimizer and a model that do something fixed and
useless to a submission (``X * scale + shift``, ``2 * X``) and log every call, so the grader
can see what the student's code did with them and in which order.
"""
import numpy as np


class PlainParameter:
    """A parameter for driving optimizers when the submission has no usable Parameter."""

    def __init__(self, tensor):
        self.tensor = tensor
        self.gradient = np.zeros_like(tensor)


class StandIn:
    """What the trusted stand-in layers share (not nn100's Layer: that is student code):
    modes, and an update that steps each distinct parameter once."""

    def update(self, optimizer):
        for param in dict.fromkeys(self.parameters):
            optimizer.update(param)

    def train(self):
        self.training = True
        return self

    def eval(self):
        self.training = False
        return self


class Recorder(StandIn):
    """A layer with a fixed map Y = X * scale + shift that logs what is done to it."""

    def __init__(self, index, scale, shift, nparams, log):
        self.index, self.scale, self.shift, self.log = index, scale, shift, log
        self.parameters = [PlainParameter(np.zeros(2)) for _ in range(nparams)]
        self.training = True

    def forward(self, X):
        self.log.append(["forward", self.index])
        call = sum(1 for event in self.log if event[0] == "forward")

        def backward(D):
            self.log.append(["backward", self.index, call])
            for param in self.parameters:
                param.gradient += float(np.sum(D))
            return D * self.scale

        return X * self.scale + self.shift, backward


class RecordingOptimizer:
    def __init__(self, log, ids):
        self.log, self.ids = log, ids

    def update(self, param):
        self.log.append(["update", self.ids.get(id(param), -1)])
        if isinstance(param.gradient, np.ndarray):
            param.gradient.fill(0)


class RecordingModel(StandIn):
    """The model a Learner is driven with: Y = 2 X, logs every call. Column 0 of X and
    of the targets holds each sample's index, so the grader can see what went where."""

    def __init__(self, log, nparams=2):
        self.log = log
        self.parameters = [PlainParameter(np.zeros(3)) for _ in range(nparams)]
        self.training = True

    def forward(self, X):
        X = np.asarray(X)
        self.log.append(["forward", X[:, 0].astype(int).tolist(), bool(self.training)])

        def backward(D):
            D = np.asarray(D)
            self.log.append(["backward", int(D.shape[0]) if D.ndim else -1,
                             bool(D.shape == X.shape and np.all(D == 0.25))])
            return D

        return 2.0 * X, backward
