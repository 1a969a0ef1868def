// The train and valid splits of a run, opened together: when the second fails to open, the first is closed
// before the error propagates, so a failed check leaves no file handle behind.
export interface TrainValid<T> {
  train: T;
  valid: T;
  close(): void;
}

export async function openTrainValid<T extends { close(): void }>(open: (split: 'train' | 'valid') => Promise<T>): Promise<TrainValid<T>> {
  const train = await open('train');
  let valid: T;
  try {
    valid = await open('valid');
  } catch (err) {
    train.close();
    throw err;
  }
  return {
    train,
    valid,
    close: () => {
      train.close();
      valid.close();
    },
  };
}
