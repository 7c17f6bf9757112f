/** A labelled number input; `onValue` gets the number and the text as typed (an optional field keeps the text). */
export function NumberField(props: {
  id: string;
  label: string;
  min: number;
  max?: number;
  value: number | string;
  onValue: (value: number, text: string) => void;
}) {
  return (
    <div>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        min={props.min}
        max={props.max}
        value={props.value}
        onInput={(e) => props.onValue(Number(e.currentTarget.value), e.currentTarget.value)}
      />
    </div>
  );
}
